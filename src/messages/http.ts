// The http issuer (src/providers/issuers/http/): each names the vendor, the call and what came back.
import { EXIT } from './exit.js';
import { planArg, s, spec, type Text } from './spec.js';

export const httpMessages = {
  'http-failed': spec<{ vendor: Text; call: Text; request: Text; status: Text; tried?: Text; shape: Text }>(EXIT.provider,
    (d) => `${s(d.vendor)}: ${s(d.call)} (${s(d.request)}) answered ${s(d.status)}${d.tried ? ` ${s(d.tried)}` : ''}; the answer's shape: ${s(d.shape)}`,
    (d) => `state was saved; once ${s(d.vendor)} answers, re-run \`keyrot run ${planArg(d)}\``),
  'http-auth-failed': spec<{ vendor: Text; call: Text; request: Text; source: Text }>(EXIT.provider,
    (d) => `${s(d.vendor)}: ${s(d.call)} (${s(d.request)}) answered 401: the admin credential (${s(d.source)}) was refused`,
    (d) => `put a valid admin credential in ${s(d.source)}, then check it: \`keyrot doctor ${planArg(d)}\``),
  // invalidToo: the vendor answers 403 for an invalid or expired credential as for a missing permission (Vault, Datadog).
  'http-denied': spec<{ vendor: Text; call: Text; request: Text; source: Text; invalidToo?: boolean; permissions?: Text }>(EXIT.provider,
    (d) => `${s(d.vendor)}: ${s(d.call)} (${s(d.request)}) answered 403: the admin credential (${s(d.source)}) ${d.invalidToo ? `is invalid or expired, or may not do this (${s(d.vendor)} answers 403 for both)` : 'may not do this'}`,
    (d) => `${d.invalidToo ? `check that ${s(d.source)} holds a valid, unexpired credential, and ` : ''}grant it ${d.permissions ? s(d.permissions) : `${s(d.request)}`}, then check it: \`keyrot doctor ${planArg(d)}\``),
  'http-admin-key': spec<{ vendor: Text; keyId: Text; op: Text; source: Text }>(EXIT.refused,
    (d) => `${s(d.vendor)}: key ${s(d.keyId)} is the admin credential keyrot authenticates with (${s(d.source)}); refusing to ${s(d.op)} it`,
    (d) => `give keyrot an admin credential this plan does not rotate (in ${s(d.source)}), then re-run \`keyrot run ${planArg(d)}\``),
  'http-doctor-missing': spec<{ vendor: Text; request: Text; missing: Text; permissions: Text }>(EXIT.provider,
    (d) => `${s(d.vendor)}: ${s(d.request)} shows the admin credential lacks ${s(d.missing)}`,
    (d) => `grant it ${s(d.permissions)}, then check it: \`keyrot doctor ${planArg(d)}\``),
  'http-vendor-limit': spec<{ vendor: Text; call: Text; request: Text; status: Text; says: Text; held: Text }>(EXIT.refused,
    (d) => `${s(d.vendor)}: ${s(d.call)} (${s(d.request)}) answered ${s(d.status)}: ${s(d.says)}, and it holds ${s(d.held)}; nothing was created`,
    (d) => `delete keys no one uses at ${s(d.vendor)} (keyrot counts and touches only its own), then re-run \`keyrot run ${planArg(d)}\``),
  'http-rate-limited': spec<{ vendor: Text; call: Text; request: Text; tried: Text }>(EXIT.provider,
    (d) => `${s(d.vendor)}: ${s(d.call)} (${s(d.request)}) was still rate limited (429) after ${s(d.tried)}`,
    (d) => `state was saved; re-run \`keyrot run ${planArg(d)}\` later, or raise \`attempts\` or \`maxRetryWait\` in the plan`),
  'http-no-answer': spec<{ vendor: Text; call: Text; request: Text; reason: Text; tried: Text; setting?: Text }>(EXIT.provider,
    (d) => `${s(d.vendor)}: ${s(d.call)} (${s(d.request)}) got no answer: ${s(d.reason)}, ${s(d.tried)}`,
    (d) => `state was saved; re-run \`keyrot run ${planArg(d)}\` once ${s(d.vendor)} answers, or raise \`${s(d.setting ?? 'timeout')}\` in the plan`),
  'http-unexpected': spec<{ vendor: Text; call: Text; request: Text; status: Text; what: Text; shape: Text; field: Text }>(EXIT.provider,
    (d) => `${s(d.vendor)}: ${s(d.call)} (${s(d.request)}) answered ${s(d.status)}, but ${s(d.what)}; the answer's shape: ${s(d.shape)}`,
    (d) => `compare \`${s(d.field)}\` in the plan with the vendor's answer (its shape is above; state was saved), then \`keyrot doctor ${planArg(d)}\``),
  'http-credential-missing': spec<{ vendor: Text; reason: Text; fix: Text }>(EXIT.provider,
    (d) => `${s(d.vendor)}: no admin credential: ${s(d.reason)}`,
    (d) => `${s(d.fix)}, then check it: \`keyrot doctor ${planArg(d)}\``),
};
