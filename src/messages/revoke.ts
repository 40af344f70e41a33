// Messages of keyrot revoke: finding the owner of a leaked key, and the one question.
import { EXIT } from './exit.js';
import { planArg, s, spec, type Text } from './spec.js';

export const revokeMessages = {
  'revoke-no-owner': spec<{ keyId: Text; asked: Text }>(EXIT.usage,
    (d) => `no plan's issuer holds key ${s(d.keyId)} (asked: ${s(d.asked)})`,
    () => 'check the key id, and pass the folder that holds the plan which issued it'),
  'revoke-not-asked': spec<{ what: Text; count: number; unasked: Text }>(EXIT.provider,
    (d) => `no plan that answered holds ${s(d.what)}, and ${d.count === 1 ? 'the plan' : `${s(d.count)} plans`} that could hold it could not be asked: ${s(d.unasked)}`,
    (d) => `fix access to those plans' issuers (the reasons above), then run ${d.rerun ? `\`${s(d.rerun)}\`` : 'the same revoke'} again`),
  'leak-report-invalid': spec<{ file: Text; reason: Text }>(EXIT.usage,
    (d) => `cannot read the leak report ${s(d.file)}: ${s(d.reason)}`,
    () => 'pass the JSON report of `gitleaks detect --report-format json` or the output of `trufflehog ... --json`'),
  'revoke-nothing-attributed': spec<{ count: number }>(EXIT.usage,
    (d) => (d.count === 1 ? 'no plan holds the finding: each plan that could hold it answered' : `no plan holds any of the ${s(d.count)} findings: each plan that could hold one answered`),
    () => 'pass the folder that holds the plans which issued those keys'),
  'revoke-declined': spec<{ keyId: Text }>(EXIT.refused,
    (d) => `not confirmed: nothing was done to ${s(d.keyId)}`,
    (d) => `run the same revoke again to be asked again, or add --yes: \`keyrot revoke --yes --key ${s(d.keyId)} ${planArg(d)}\``),
  'revoke-unattended': spec<{ step: Text; keyId: Text; piped?: boolean; command: Text }>(EXIT.refused,
    (d) => `${s(d.step)} of ${s(d.keyId)} held: there is no terminal to ask and --yes was not given; nothing was done to it`,
    (d) => d.piped
      ? `pipe the secret in again, with --yes: \`… | ${s(d.command)}\` (or run it at a terminal to be asked)`
      : `run \`${s(d.command)}\` to go ahead without asking, or run it at a terminal to be asked`),
  'revoke-many-owners': spec<{ keyId: Text; owners: Text }>(EXIT.refused,
    (d) => `several plans hold key ${s(d.keyId)}: ${s(d.owners)}`,
    () => 'pass only the plan that should revoke it'),
  'revoke-needs-key': spec(EXIT.usage,
    () => 'without --key, revoke takes exactly one plan (it revokes that plan\'s current key)',
    () => 'run `keyrot revoke --key KEY_ID <plans or folders>`, or name a single plan'),
  'revoke-no-current-key': spec<{ plan: Text; active: number }>(EXIT.usage,
    (d) => (d.active === 0
      ? `plan ${s(d.plan)} has no key in use: its issuer holds no active key, so there is none to revoke`
      : `plan ${s(d.plan)} has ${s(d.active)} active keys and no target serves one of them: which one leaked must be named`),
    (d) => `its keys: \`keyrot status ${planArg(d)}\`; name the leaked one: \`keyrot revoke --key KEY_ID ${planArg(d)}\``),
  'revoke-new-key': spec<{ keyId: Text; plan: Text }>(EXIT.refused,
    (d) => `key ${s(d.keyId)} is the new key of the rotation in flight for ${s(d.plan)}; revoke takes over only a rotation whose old key leaked`,
    (d) => `run \`keyrot abandon ${planArg(d)}\`, then \`keyrot revoke --key ${s(d.keyId)} ${planArg(d)}\` again`),
  'revoke-finished': spec<{ keyId: Text; rotationId: Text; plan: Text; at: Text }>(EXIT.usage,
    (d) => `key ${s(d.keyId)} was revoked and deleted by rotation ${s(d.rotationId)} of plan ${s(d.plan)} (finished ${s(d.at)})`,
    (d) => `nothing left to do; \`keyrot history ${planArg(d)}\` shows what was done`),
  'revoke-delete-first': spec<{ keyId: Text; plan: Text }>(EXIT.usage,
    (d) => `no revoke of ${s(d.keyId)} is in flight for plan ${s(d.plan)}; --delete only finishes one`,
    (d) => `revoke it first: \`keyrot revoke --key ${s(d.keyId)} ${planArg(d)}\``),
  'revoke-sessions-failed': spec<{ keyId: Text; reason: Text }>(EXIT.provider,
    (d) => `leaked key ${s(d.keyId)} is revoked, but the sessions it already opened were not ended: ${s(d.reason)}`,
    (d) => `once that is fixed, \`keyrot revoke --yes --key ${s(d.keyId)} ${planArg(d)}\` ends them (the key stays revoked meanwhile)`),
  'revoke-conflict': spec<{ plan: Text; oldKeyId: Text; newKeyId: Text; keyId: Text }>(EXIT.refused,
    (d) => `plan ${s(d.plan)} is rotating ${s(d.oldKeyId)} -> ${s(d.newKeyId)}; ${s(d.keyId)} is another active key of its issuer`,
    (d) => `deactivate ${s(d.keyId)} by hand now, then finish the rotation with \`keyrot run ${planArg(d)}\` or stop it with \`keyrot abandon ${planArg(d)}\``),
};
