// Messages of the database issuers (postgresql, mysql, redis): what keyrot's login may not do, a login
// that is not there, a key whose login holds another password now.
import { EXIT } from './exit.js';
import { planArg, s, spec, type Text } from './spec.js';

export const databaseMessages = {
  'db-denied': spec<{ provider: Text; user: Text; operation: Text; reason: Text }>(EXIT.provider,
    (d) => `${s(d.provider)}: ${s(d.user)} may not ${s(d.operation)}: ${s(d.reason)}`,
    (d) => `grant ${s(d.user)} what README "Database privileges" lists (\`keyrot doctor ${planArg(d)}\` checks it), then re-run \`keyrot run ${planArg(d)}\``),
  'db-login-missing': spec<{ provider: Text; reason: Text }>(EXIT.usage,
    (d) => `${s(d.provider)}: ${s(d.reason)}`,
    () => 'create it with the same grants as the other login (README, "Database credentials"); keyrot never creates or drops logins'),
  'db-login-variants': spec<{ provider: Text; user: Text; hosts: Text }>(EXIT.refused,
    (d) => `${s(d.provider)}: ${s(d.hosts)} differ in password, plugin or lock: keyrot rotates every host of user ${s(d.user)} as one and cannot tell which one consumers use; nothing was changed`,
    (d) => `make them the same (or DROP USER the host you no longer need), then \`keyrot doctor ${planArg(d)}\``),
  'db-sessions-not-ended': spec<{ provider: Text; keyId: Text; login: Text; user: Text; reason: Text; grant: Text }>(EXIT.provider,
    (d) => `${s(d.provider)}: leaked key ${s(d.keyId)} is revoked (its password logs in no more), but the sessions it already opened as ${s(d.login)} were not ended: ${s(d.user)} may not end them (${s(d.reason)})`,
    (d) => `as an administrator of the database run \`${s(d.grant)}\`, then \`keyrot revoke --yes --key ${s(d.keyId)} ${planArg(d)}\` ends them (the key stays revoked meanwhile)`),
  'db-key-not-found': spec<{ provider: Text; keyId: Text; login: Text; found: Text }>(EXIT.refused,
    (d) => `${s(d.provider)}: key ${s(d.keyId)} is not there any more: ${s(d.login)} now holds ${s(d.found)} (changed outside keyrot?); nothing was changed`,
    (d) => `compare \`keyrot status ${planArg(d)}\` with \`keyrot doctor ${planArg(d)}\`, then re-run \`keyrot run ${planArg(d)}\``),
};
