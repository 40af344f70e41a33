// keyrot doctor for the redis issuer, read-only: whom keyrot logs in as and whether its ACL rules
// allow what a rotation sends (and a revoke: CLIENT KILL), whether the rotated user exists and can be
// rotated (not nopass), who is connected as it now, least privilege, and whether the connection is
// encrypted.
import { KeyrotError } from '../../../errors.js';
import type { Check } from '../../types.js';
import type { RedisApi } from './client.js';
import * as cmd from './commands.js';
import { allowCommands, REDIS_COMMANDS, REVOKE_COMMAND } from './commands.js';
import { parseClients, parseUser } from './passwords.js';
import type { RedisIssuerConfig } from './schema.js';
import { count } from '../../../shared/plural.js';


/** Whether ACL rules (ACL GETUSER's "commands") allow `command` ("acl|setuser"): +@all, +acl, +acl|setuser, minus what they take away. */
export function allows(rules: string, command: string): boolean {
  let allowed = false;
  const [name] = command.split('|');
  for (const rule of rules.split(/\s+/)) {
    const on = rule.startsWith('+');
    const what = rule.slice(1);
    if (what === '@all' || what === name || what === command || (what === '@admin' && name === 'acl') || (what === '@slow' && name === 'acl')) allowed = on;
  }
  return allowed;
}

const LOOPBACK = /^(127\.|::1$|localhost$)/;

export async function redisDoctor(config: RedisIssuerConfig, redis: RedisApi): Promise<Check[]> {
  let me: { commands: string };
  let target: ReturnType<typeof parseUser>;
  let clients: string;
  try {
    [me, target, clients] = await redis.admin('doctor', async (send) => {
      const own = (await send(cmd.getUser(config.admin.user))) as unknown[] | Record<string, unknown>;
      const commands = Array.isArray(own) ? String(own[own.indexOf('commands') + 1]) : String(own.commands);
      return [{ commands }, parseUser(await send(cmd.getUser(config.user))), String(await send(cmd.CLIENTS))];
    });
  } catch (e) {
    return [{ check: 'credentials', status: 'fail', detail: (e as Error).message, ...(e instanceof KeyrotError ? { error: e } : {}) }];
  }
  const checks: Check[] = [{ check: 'credentials', status: 'pass', detail: `logged in to ${redis.where} as ${config.admin.user}` }];
  const missing = REDIS_COMMANDS.filter((c) => !allows(me.commands, c));
  checks.push(missing.length
    ? { check: 'permissions', status: 'fail', detail: `${config.admin.user} may not run ${missing.join(', ')} (its rules: ${me.commands})`, hint: allowCommands(config.admin.user, missing) }
    : { check: 'permissions', status: 'pass', detail: `${config.admin.user} may run ${REDIS_COMMANDS.join(', ')}` });

  checks.push(allows(me.commands, REVOKE_COMMAND)
    ? { check: 'revoke sessions', status: 'pass', detail: `${config.admin.user} may end the connections of a revoked password (${REVOKE_COMMAND})` }
    : { check: 'revoke sessions', status: 'warn', detail: `${config.admin.user} may not run ${REVOKE_COMMAND}: a revoke would remove the leaked password but could not end the connections it already opened`, hint: `${allowCommands(config.admin.user, [REVOKE_COMMAND])}, then keyrot doctor again` });

  if (!target) {
    checks.push({ check: 'user', status: 'fail', detail: `ACL user ${config.user} does not exist`, hint: `ACL SETUSER ${config.user} on <its permissions> (keyrot adds its passwords)` });
  } else {
    const nopass = target.flags.includes('nopass');
    checks.push({
      check: 'user', status: nopass ? 'fail' : 'pass',
      detail: `${config.user} is ${target.flags.join(', ') || 'off'} with ${count(target.passwords.length, 'password')}${nopass ? ': nopass lets any password in, so none can be rotated' : ''}`,
      ...(nopass ? { hint: `ACL SETUSER ${config.user} resetpass, then keyrot run (it adds the first password)` } : {}),
    });
  }
  const mine = parseClients(clients).filter((c) => c.user === config.user);
  const addrs = [...new Set(mine.map((c) => c.addr))].join(', ');
  checks.push({ check: 'sessions', status: 'pass', detail: `${config.user}: ${count(mine.length, 'connection')} now${addrs ? ` from ${addrs}` : ''} (Redis does not say which password each one used)` });

  const broad = allows(me.commands, 'flushall') || allows(me.commands, 'config|set');
  checks.push(broad
    ? { check: 'least privilege', status: 'warn', detail: `${config.admin.user} may run far more than keyrot needs (${me.commands})`, hint: `ACL SETUSER ${config.admin.user} -@all ${[...REDIS_COMMANDS, REVOKE_COMMAND].map((c) => `+${c}`).join(' ')}` }
    : { check: 'least privilege', status: 'pass', detail: `${config.admin.user} may run little beyond what keyrot needs` });
  if (!config.tls && !LOOPBACK.test(config.host)) {
    checks.push({ check: 'encryption', status: 'warn', detail: `the connection to ${redis.where} is not encrypted: AUTH sends passwords in clear`, hint: 'add `tls: { mode: verify-full }` to the source' });
  }
  return checks;
}
