// keyrot doctor for an http issuer: the admin credential is there, the list call answers with it
// (the engine then counts the keys), and what the plan cannot do is said: no deactivate, and the
// permissions the preset needs where the vendor cannot be asked about them.
import { KeyrotError } from '../../../errors.js';
import type { Check } from '../../types.js';
import { adminHeaders, describeSource } from './auth.js';
import type { ResolvedHttp } from './resolve.js';
import { fillText } from './template.js';

export async function httpDoctor(config: ResolvedHttp, env: NodeJS.ProcessEnv, planDir: string): Promise<Check[]> {
  const checks: Check[] = [];
  const source = describeSource(config.auth);
  try {
    await adminHeaders(config.auth, { vendor: config.vendor, env, planDir });
    checks.push({ check: 'credentials', status: 'pass', detail: `admin credential from ${source}` });
  } catch (e) {
    if (!(e instanceof KeyrotError)) throw e;
    return [{ check: 'credentials', status: 'fail', detail: e.message, error: e }];
  }
  if (config.permissions.length) {
    const needed = config.permissions.map((p) => fillText(p, config.values)).join('; ');
    checks.push({ check: 'permissions', status: 'skip', detail: `not checked (the list answering shows read access only); the credential needs: ${needed}` });
  }
  return checks;
}
