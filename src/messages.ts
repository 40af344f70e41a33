// Every message a user can see, keyed by code: what happened, and the next command to run.
// Details are plain values (ids, paths, dates); never a secret.

export type Details = Record<string, unknown>;

interface MessageSpec {
  exit: number;
  message: (d: Details) => string;
  hint: (d: Details) => string;
}

const s = (v: unknown) => String(v ?? '');

/**
 * The plan as a command-line argument that works when pasted: `file` is set by whoever knows which
 * plan file (and state folder) the message is about (see `commandArg`); else the plan's name,
 * which commands resolve among the plans in the current folder and in rotation-plans/.
 */
const planArg = (d: Details) => s(d.file ?? d.plan ?? '<plan file>');

/** One word as a shell reads it back: quoted only when it needs to be. */
export const shellWord = (v: string) => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);

/** `file`, quoted for a shell, with `--state DIR` when the run used one: what hints paste in. */
export const commandArg = (file: string, stateDir?: string): string =>
  stateDir ? `--state ${shellWord(stateDir)} ${shellWord(file)}` : shellWord(file);

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  refused: 3,
  provider: 4,
  waiting: 75,
  interrupted: 130,
} as const;

export const messages = {
  'usage': {
    exit: EXIT.usage,
    message: (d) => s(d.problem),
    hint: () => 'see `keyrot --help`',
  },
  'plan-invalid': {
    exit: EXIT.usage,
    message: (d) => `${s(d.count)} problem(s) in ${s(d.files)} plan file(s); nothing was touched`,
    hint: () => 'fix each line above, then check again: `keyrot validate` with the same files',
  },
  'plan-not-found': {
    exit: EXIT.usage,
    message: (d) => `no plan at ${s(d.path)}`,
    hint: () => 'pass plan files (.yaml/.yml) or folders that hold them',
  },
  'plan-name-unknown': {
    exit: EXIT.usage,
    message: (d) => `no plan named "${s(d.name)}" in ${s(d.folders)}`,
    hint: () => 'pass the plan file itself, or run keyrot from the folder that holds it',
  },
  'plan-name-duplicate': {
    exit: EXIT.usage,
    message: (d) => `plan name "${s(d.name)}" is used by both ${s(d.first)} and ${s(d.second)}`,
    hint: () => 'plan names share one state folder and must be unique: rename one of them',
  },
  'lock-held': {
    exit: EXIT.refused,
    message: (d) => `plan ${s(d.plan)} is locked by ${s(d.holder)}`,
    hint: (d) => `wait for that run to finish, or wait for it: \`keyrot run --wait-lock 10m ${planArg(d)}\``,
  },
  'lock-lost': {
    exit: EXIT.refused,
    message: (d) => `lost the lock on plan ${s(d.plan)} (${s(d.reason)}); stopped before the next step`,
    hint: (d) => `check \`keyrot status ${planArg(d)}\` and re-run; state was saved after the last step`,
  },
  'key-limit': {
    exit: EXIT.refused,
    message: (d) => `${s(d.issuer)} already holds ${s(d.count)} key(s), the most it allows: ${s(d.keys)}`,
    hint: (d) => `delete the unused one (${s(d.cleanup)}), or set \`source.deleteInactiveKey: true\` to let keyrot delete an inactive key first`,
  },
  'active-key-ambiguous': {
    exit: EXIT.refused,
    message: (d) => `${s(d.issuer)} has several active keys (${s(d.keys)}) and the stores do not say which one is current`,
    hint: (d) => `deactivate the stray key by hand, then re-run \`keyrot run ${planArg(d)}\``,
  },
  'store-unmanaged': {
    exit: EXIT.refused,
    message: (d) => `${s(d.store)} holds a secret keyrot does not manage (${s(d.detail)}); refusing to overwrite it`,
    hint: () => 'set `adopt: true` on that publish target if keyrot should take it over',
  },
  'store-conflict': {
    exit: EXIT.refused,
    message: (d) => `${s(d.store)} was changed by another writer while keyrot was publishing`,
    hint: (d) => `find the other writer, then re-run \`keyrot run ${planArg(d)}\` (state was saved)`,
  },
  'fingerprint-mismatch': {
    exit: EXIT.refused,
    message: (d) => `${s(d.store)} serves key ${s(d.found)} (${s(d.foundFingerprint)}) right after keyrot published ${s(d.keyId)} (${s(d.fingerprint)}) there again; the old key is untouched`,
    hint: (d) => `another writer keeps changing that store: stop it, then re-run \`keyrot run ${planArg(d)}\`, which publishes the new key there again and verifies`,
  },
  'target-lost': {
    exit: EXIT.refused,
    message: (d) => `${s(d.targets)} no longer serve(s) the new key ${s(d.keyId)} (restored from a backup, or restarted empty?); the old key ${s(d.oldKeyId)} stays active`,
    hint: (d) => `find out what happened there, then re-run \`keyrot run ${planArg(d)}\`: it publishes ${s(d.keyId)} there again, verifies it, and restarts the overlap window`,
  },
  'new-key-lost': {
    exit: EXIT.refused,
    message: (d) => `no target holds the new key ${s(d.keyId)} any more, and keyrot no longer has its secret; consumers told to reload may hold it. The old key ${s(d.oldKeyId)} stays active`,
    hint: (d) => `\`keyrot abandon --retire-new ${planArg(d)}\` retires ${s(d.keyId)} (consumers still using it lose access), then \`keyrot run ${planArg(d)}\` starts a new rotation`,
  },
  'retire-new-served': {
    exit: EXIT.refused,
    message: (d) => `${s(d.targets)} still serve(s) the new key ${s(d.keyId)}: retiring it would cut off their consumers; nothing was changed`,
    hint: (d) => `finish the rotation with \`keyrot run ${planArg(d)}\`, or abandon it keeping both keys with \`keyrot abandon ${planArg(d)}\``,
  },
  'verify-failed': {
    exit: EXIT.refused,
    message: (d) => `new key ${s(d.keyId)} did not authenticate: ${s(d.reason)}; the old key is untouched`,
    hint: (d) => `re-run \`keyrot run ${planArg(d)}\` to retry verification, or \`keyrot status ${planArg(d)}\` to see the held rotation`,
  },
  'old-key-in-use': {
    exit: EXIT.refused,
    message: (d) => `old key ${s(d.keyId)} was still used ${s(d.lastUsed)} after waiting ${s(d.waited)}; not deactivating it`,
    hint: (d) => `find the consumer still using it (service/region above), then re-run \`keyrot run ${planArg(d)}\``,
  },
  'used-after-deactivate': {
    exit: EXIT.refused,
    message: (d) => `old key ${s(d.keyId)} was used ${s(d.lastUsed)}, after it was deactivated at ${s(d.deactivatedAt)}; not deleting it`,
    hint: (d) => `a consumer still sends the old key and is failing: \`keyrot rollback ${planArg(d)}\` serves it again while you fix that consumer, then \`keyrot run --resume-after-rollback ${planArg(d)}\` starts a new soak`,
  },
  'usage-unknown': {
    exit: EXIT.refused,
    message: (d) => `cannot tell whether old key ${s(d.keyId)} is still used: ${s(d.reason)}; not ${s(d.step)} it (no answer is never taken as unused)`,
    hint: (d) => `\`keyrot plan ${planArg(d)}\` asks ${s(d.source)} again and shows the answer; once it answers, re-run \`keyrot run ${planArg(d)}\``,
  },
  'delete-declined': {
    exit: EXIT.refused,
    message: (d) => `permanent delete of ${s(d.keyId)} not confirmed; the key stays inactive`,
    hint: (d) => `re-run \`keyrot run ${planArg(d)}\` to be asked again, or \`keyrot run --yes ${planArg(d)}\` to delete without asking`,
  },
  'delete-unattended': {
    exit: EXIT.refused,
    message: (d) => `permanent delete of ${s(d.keyId)} held: there is no terminal to ask and --yes was not given; the key stays inactive`,
    hint: (d) => `run \`keyrot run --yes ${planArg(d)}\` to delete it (as \`terraform apply -auto-approve\` does), or run it at a terminal to be asked`,
  },
  'orphan-used': {
    exit: EXIT.refused,
    message: (d) => `key ${s(d.keyId)} was created by an interrupted run and never published, but it has been used (${s(d.lastUsed)})`,
    hint: () => 'someone holds a key keyrot never handed out: investigate, delete it by hand, then re-run',
  },
  'invariant': {
    exit: EXIT.refused,
    message: (d) => `safety check failed before ${s(d.phase)}: ${s(d.reason)}`,
    hint: (d) => `this should not happen; run \`keyrot status ${planArg(d)}\`, and report it with the audit log`,
  },
  'targets-changed': {
    exit: EXIT.refused,
    message: (d) => `the plan's publish targets changed during the rotation: ${s(d.targets)} never got the new key; the old key stays active`,
    hint: (d) => `put the targets back as they were, or \`keyrot abandon ${planArg(d)}\` and run a new rotation with the new targets`,
  },
  'approval-required': {
    exit: EXIT.refused,
    message: (d) => `deleting ${s(d.keyId)} needs approval${d.revoke ? ' (a revoked key is deleted only on request)' : ''}; it stays inactive`,
    hint: (d) => (d.revoke ? `when the investigation is done, run \`keyrot revoke --delete --key ${s(d.keyId)} ${planArg(d)}\`` : `run \`keyrot approve ${planArg(d)}\`, then \`keyrot run ${planArg(d)}\` again`),
  },
  'health-check-failed': {
    exit: EXIT.refused,
    message: (d) => `health check failed after ${s(d.keyId)} was deactivated: ${s(d.detail)}; the old key was reactivated and the rotation is held`,
    hint: (d) => `fix what broke, then \`keyrot run --resume-after-rollback ${planArg(d)}\`, or \`keyrot abandon ${planArg(d)}\``,
  },
  'rolled-back': {
    exit: EXIT.refused,
    message: (d) => `the rotation of ${s(d.plan)} was rolled back (${s(d.reason)}) and is held`,
    hint: (d) => `\`keyrot run --resume-after-rollback ${planArg(d)}\` to deactivate the old key again, or \`keyrot abandon ${planArg(d)}\``,
  },
  'rollback-too-late': {
    exit: EXIT.refused,
    message: (d) => `cannot roll back ${s(d.plan)}: the old key ${s(d.keyId)} is already deleted`,
    hint: (d) => `a deleted key cannot come back; if the new key is the problem, \`keyrot revoke ${planArg(d)}\` replaces it`,
  },
  'nothing-to-roll-back': {
    exit: EXIT.refused,
    message: (d) => `nothing to roll back for ${s(d.plan)}: ${s(d.reason)}`,
    hint: (d) => `see \`keyrot status ${planArg(d)}\``,
  },
  'no-rotation': {
    exit: EXIT.usage,
    message: (d) => `plan ${s(d.plan)} has no rotation in flight`,
    hint: (d) => `see \`keyrot status ${planArg(d)}\``,
  },
  'revoke-no-owner': {
    exit: EXIT.usage,
    message: (d) => `no plan's issuer holds key ${s(d.keyId)} (asked: ${s(d.asked)})`,
    hint: () => 'check the key id, and pass the folder that holds the plan which issued it',
  },
  'revoke-not-asked': {
    exit: EXIT.provider,
    message: (d) => `no plan that could be asked holds key ${s(d.keyId)}, and ${s(d.count)} plan(s) could not be asked: ${s(d.unasked)}`,
    hint: () => 'fix access to those plans\' issuers (the reasons above), then run the same revoke again',
  },
  'leak-report-invalid': {
    exit: EXIT.usage,
    message: (d) => `cannot read the leak report ${s(d.file)}: ${s(d.reason)}`,
    hint: () => 'pass the JSON report of `gitleaks detect --report-format json` or the output of `trufflehog ... --json`',
  },
  'revoke-nothing-attributed': {
    exit: EXIT.usage,
    message: (d) => `none of the ${s(d.count)} finding(s) belongs to a plan that was asked`,
    hint: () => 'pass the folder that holds the plans which issued those keys',
  },
  'revoke-declined': {
    exit: EXIT.refused,
    message: (d) => `not confirmed: nothing was done to ${s(d.keyId)}`,
    hint: (d) => `run the same revoke again to be asked again, or add --yes: \`keyrot revoke --yes --key ${s(d.keyId)} ${planArg(d)}\``,
  },
  'revoke-unattended': {
    exit: EXIT.refused,
    message: (d) => `${s(d.step)} of ${s(d.keyId)} held: there is no terminal to ask and --yes was not given; nothing was done to it`,
    hint: (d) => d.piped
      ? `pipe the secret in again, with --yes: \`… | ${s(d.command)}\` (or run it at a terminal to be asked)`
      : `run \`${s(d.command)}\` to go ahead without asking, or run it at a terminal to be asked`,
  },
  'revoke-many-owners': {
    exit: EXIT.refused,
    message: (d) => `several plans hold key ${s(d.keyId)}: ${s(d.owners)}`,
    hint: () => 'pass only the plan that should revoke it',
  },
  'revoke-needs-key': {
    exit: EXIT.usage,
    message: () => 'without --key, revoke takes exactly one plan (it revokes that plan\'s current key)',
    hint: () => 'run `keyrot revoke --key KEY_ID <plans or folders>`, or name a single plan',
  },
  'revoke-new-key': {
    exit: EXIT.refused,
    message: (d) => `key ${s(d.keyId)} is the new key of the rotation in flight for ${s(d.plan)}; revoke takes over only a rotation whose old key leaked`,
    hint: (d) => `run \`keyrot abandon ${planArg(d)}\`, then \`keyrot revoke --key ${s(d.keyId)} ${planArg(d)}\` again`,
  },
  'revoke-finished': {
    exit: EXIT.usage,
    message: (d) => `key ${s(d.keyId)} was revoked and deleted by rotation ${s(d.rotationId)} of plan ${s(d.plan)} (finished ${s(d.at)})`,
    hint: (d) => `nothing left to do; \`keyrot history ${planArg(d)}\` shows what was done`,
  },
  'revoke-delete-first': {
    exit: EXIT.usage,
    message: (d) => `no revoke of ${s(d.keyId)} is in flight for plan ${s(d.plan)}; --delete only finishes one`,
    hint: (d) => `revoke it first: \`keyrot revoke --key ${s(d.keyId)} ${planArg(d)}\``,
  },
  'revoke-conflict': {
    exit: EXIT.refused,
    message: (d) => `plan ${s(d.plan)} is rotating ${s(d.oldKeyId)} -> ${s(d.newKeyId)}; ${s(d.keyId)} is another active key of its issuer`,
    hint: (d) => `deactivate ${s(d.keyId)} by hand now, then finish the rotation with \`keyrot run ${planArg(d)}\` or stop it with \`keyrot abandon ${planArg(d)}\``,
  },
  'provider-failed': {
    exit: EXIT.provider,
    message: (d) => `${s(d.provider)} ${s(d.operation)} failed: ${s(d.reason)}`,
    hint: (d) => `state was saved; it is safe to re-run \`keyrot run ${planArg(d)}\` once the provider answers`,
  },
  // The http issuer (src/providers/issuers/http/): each names the vendor, the call and what came back.
  'http-failed': {
    exit: EXIT.provider,
    message: (d) => `${s(d.vendor)}: ${s(d.call)} (${s(d.request)}) answered ${s(d.status)}${d.tried ? ` ${s(d.tried)}` : ''}; the answer's shape: ${s(d.shape)}`,
    hint: (d) => `state was saved; once ${s(d.vendor)} answers, re-run \`keyrot run ${planArg(d)}\``,
  },
  'http-auth-failed': {
    exit: EXIT.provider,
    message: (d) => `${s(d.vendor)}: ${s(d.call)} (${s(d.request)}) answered 401: the admin credential (${s(d.source)}) was refused`,
    hint: (d) => `put a valid admin credential in ${s(d.source)}, then check it: \`keyrot doctor ${planArg(d)}\``,
  },
  'http-denied': {
    exit: EXIT.provider,
    message: (d) => `${s(d.vendor)}: ${s(d.call)} (${s(d.request)}) answered 403: the admin credential (${s(d.source)}) may not do this`,
    hint: (d) => `grant it ${d.permissions ? s(d.permissions) : `${s(d.request)}`}, then check it: \`keyrot doctor ${planArg(d)}\``,
  },
  'http-rate-limited': {
    exit: EXIT.provider,
    message: (d) => `${s(d.vendor)}: ${s(d.call)} (${s(d.request)}) was still rate limited (429) after ${s(d.tried)}`,
    hint: (d) => `state was saved; re-run \`keyrot run ${planArg(d)}\` later, or raise \`attempts\` or \`maxRetryWait\` in the plan`,
  },
  'http-no-answer': {
    exit: EXIT.provider,
    message: (d) => `${s(d.vendor)}: ${s(d.call)} (${s(d.request)}) got no answer: ${s(d.reason)}, ${s(d.tried)}`,
    hint: (d) => `state was saved; re-run \`keyrot run ${planArg(d)}\` once ${s(d.vendor)} answers, or raise \`${s(d.setting ?? 'timeout')}\` in the plan`,
  },
  'http-unexpected': {
    exit: EXIT.provider,
    message: (d) => `${s(d.vendor)}: ${s(d.call)} (${s(d.request)}) answered ${s(d.status)}, but ${s(d.what)}; the answer's shape: ${s(d.shape)}`,
    hint: (d) => `compare \`${s(d.field)}\` in the plan with the vendor's answer (its shape is above; state was saved), then \`keyrot doctor ${planArg(d)}\``,
  },
  'http-credential-missing': {
    exit: EXIT.provider,
    message: (d) => `${s(d.vendor)}: no admin credential: ${s(d.reason)}`,
    hint: (d) => `${s(d.fix)}, then check it: \`keyrot doctor ${planArg(d)}\``,
  },
  'aws-user-not-found': {
    exit: EXIT.usage,
    message: (d) => `IAM user ${s(d.user)} does not exist${d.account ? ` in account ${s(d.account)}` : ''}`,
    hint: () => 'check `source.user` (and which account your credentials reach: `aws sts get-caller-identity`); keyrot never creates users',
  },
  'aws-key-not-found': {
    exit: EXIT.refused,
    message: (d) => `access key ${s(d.keyId)} of IAM user ${s(d.user)} no longer exists (deleted outside keyrot?)`,
    hint: (d) => `compare \`keyrot status ${planArg(d)}\` with \`aws iam list-access-keys --user-name ${s(d.user)}\`, then re-run \`keyrot run ${planArg(d)}\``,
  },
  'aws-access-denied': {
    exit: EXIT.provider,
    message: (d) => `${d.principal ? s(d.principal) : 'the AWS credentials'} may not call ${s(d.action)}${d.resource ? ` on ${s(d.resource)}` : ''}`,
    hint: (d) => `allow ${s(d.action)} (README, "IAM permissions", lists the minimal policy), then re-run \`keyrot run ${planArg(d)}\``,
  },
  // keyrot doctor's findings that are not errors a run meets (a warning never sets an exit code).
  'aws-admin-access': {
    exit: EXIT.ok,
    message: (d) => `user ${s(d.user)} has admin-level access: ${s(d.sources)}. A leak of its key is a leak of the account`,
    hint: (d) => `give ${s(d.user)} only what its service needs and drop the admin-level policy, then check again: \`keyrot doctor ${planArg(d)}\``,
  },
  'aws-root-credentials': {
    exit: EXIT.ok,
    message: () => 'the credentials are the account\'s root user: every call is allowed, far more than keyrot needs',
    hint: (d) => `run keyrot as a user or role with only the README's "IAM permissions" policy, then check again: \`keyrot doctor ${planArg(d)}\``,
  },
  'vault-capabilities-missing': {
    exit: EXIT.provider,
    message: (d) => `${s(d.store)}: the token's policies miss: ${s(d.missing)}`,
    hint: (d) => `grant those capabilities in the policy of the token keyrot uses (\`keyrot init\` writes the policy a plan needs as a comment), then check again: \`keyrot doctor ${planArg(d)}\``,
  },
  'aws-credentials': {
    exit: EXIT.provider,
    message: (d) => `no usable AWS credentials for ${s(d.issuer)}: ${s(d.reason)}; tried ${s(d.chain)}`,
    hint: (d) => `sign in (\`aws sso login\`, \`aws configure\`, AWS_PROFILE or AWS_ACCESS_KEY_ID), check with \`aws sts get-caller-identity\`, then re-run \`keyrot run ${planArg(d)}\``,
  },
  'provider-auth-failed': {
    exit: EXIT.provider,
    message: (d) => `${s(d.provider)}: cannot log in: ${s(d.reason)}`,
    hint: (d) => `${s(d.fix)}, then re-run \`keyrot run ${planArg(d)}\``,
  },
  'provider-denied': {
    exit: EXIT.provider,
    message: (d) => `${s(d.provider)}: permission denied: ${s(d.operation)} needs "${s(d.capability)}" on ${s(d.path)}`,
    hint: (d) => `grant "${s(d.capability)}" on "${s(d.path)}" in the policy of the token keyrot uses, then re-run \`keyrot run ${planArg(d)}\``,
  },
  'provider-timeout': {
    exit: EXIT.provider,
    message: (d) => `${s(d.provider)}: ${s(d.operation)} got no answer within ${s(d.timeout)}`,
    hint: (d) => `state was saved; re-run \`keyrot run ${planArg(d)}\` once the provider answers, or raise \`${s(d.setting ?? 'timeout')}\` in the plan`,
  },
  'vault-sealed': {
    exit: EXIT.provider,
    message: (d) => `Vault at ${s(d.address)} is sealed`,
    hint: (d) => `unseal it (\`vault operator unseal\`), then re-run \`keyrot run ${planArg(d)}\`; state was saved`,
  },
  'vault-mount-missing': {
    exit: EXIT.provider,
    message: (d) => `Vault at ${s(d.address)} has no KV v2 engine at "${s(d.mount)}/": ${s(d.reason)}`,
    hint: (d) => `check \`mount\` in the plan against \`vault secrets list\`, or enable one: \`vault secrets enable -path=${s(d.mount)} kv-v2\``,
  },
  'azure-denied': {
    exit: EXIT.provider,
    message: (d) => `${s(d.store)}: permission denied${d.caller ? ` for ${s(d.caller)}` : ''}: ${s(d.operation)} needs secrets/${s(d.permission)} (${s(d.action)})`,
    hint: (d) => `assign that identity the "${s(d.role)}" role on ${s(d.vaultUrl)} (or "${s(d.permission)}" on secrets in its access policy), then re-run \`keyrot run ${planArg(d)}\``,
  },
  'secret-soft-deleted': {
    exit: EXIT.provider,
    message: (d) => `${s(d.store)}: a deleted secret of that name still exists (${s(d.state)}), so the name cannot be reused yet`,
    hint: (d) => `${s(d.fix)}, then re-run \`keyrot run ${planArg(d)}\``,
  },
  'secret-being-deleted': {
    exit: EXIT.provider,
    message: (d) => `${s(d.store)}: Key Vault is still deleting or recovering the secret ${s(d.name)} (ObjectIsBeingDeleted); the name is taken until that finishes`,
    hint: (d) => `Key Vault finishes in a few seconds: retry shortly with \`keyrot run ${planArg(d)}\` (state was saved)`,
  },
  'state-corrupt': {
    exit: EXIT.usage,
    message: (d) => `state file ${s(d.path)} is not a rotation record keyrot can use: ${s(d.reason)}`,
    hint: (d) =>
      d.newer
        ? `run the newer keyrot that wrote it, or restore ${s(d.path)} from a backup`
        : `restore it from a backup, or \`keyrot abandon ${planArg(d)}\` to set it aside and end that rotation with the keys as they are (\`keyrot history ${planArg(d)}\` shows what was done)`,
  },
  'state-io': {
    exit: EXIT.provider,
    message: (d) => `could not ${s(d.verb ?? 'write')} state: ${s(d.reason)} (${s(d.path)})`,
    hint: (d) => `the state file is as it was before this step. ${s(d.fix)}, then re-run \`keyrot run ${planArg(d)}\``,
  },
  'metrics-file': {
    exit: EXIT.provider,
    message: (d) => `could not write the metrics file ${s(d.path)}: ${s(d.reason)}`,
    hint: () => 'pass --metrics-file a path in a folder keyrot may write, e.g. node_exporter\'s textfile collector folder (…/textfile_collector/keyrot.prom)',
  },
  'state-folder-invalid': {
    exit: EXIT.usage,
    message: (d) => `cannot keep state in ${s(d.path)}: ${s(d.reason)}`,
    hint: () => 'pass `--state DIR` naming a folder on a local disk keyrot can create (or move the file in the way aside)',
  },
  'state-conflict': {
    exit: EXIT.refused,
    message: (d) => `state of plan ${s(d.plan)} changed under this run (version ${s(d.expected)} expected, ${s(d.found)} found)`,
    hint: (d) => `another process wrote it: check \`keyrot status ${planArg(d)}\`, then re-run`,
  },
  'state-migrate-taken': {
    exit: EXIT.refused,
    message: (d) => `${s(d.to)} already holds ${s(d.what)} of plan ${s(d.plan)}; keyrot state migrate never overwrites one`,
    hint: (d) => `the plan's state already lives in ${s(d.to)}: nothing was copied for it. Run keyrot with that --state from now on, or migrate this folder to another prefix`,
  },
  'interrupted': {
    exit: EXIT.interrupted,
    message: () => 'interrupted; state saved',
    hint: () => 'run the same command again to continue where it stopped',
  },
} satisfies Record<string, MessageSpec>;

export type MessageCode = keyof typeof messages;
