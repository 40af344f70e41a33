// Verify: one request made with the new key must answer 2xx (and, with expect, say the key is usable). A vendor may take a moment to accept
// a key it just minted, so a refusal (400, 401, 403, 404) is asked again until verifyTimeout; then
// the key did not authenticate (verify-failed, exit 3) and the old key is untouched.
import { KeyrotError } from '../../../errors.js';
import { formatDuration } from '../../../shared/duration.js';
import type { Credential } from '../../types.js';
import { keyHeaders } from './auth.js';
import { findOne } from './json-path.js';
import type { Requester } from './request.js';
import type { ResolvedHttp } from './resolve.js';
import { fillText, type Vars } from './template.js';
import { count } from '../../../shared/plural.js';

const REFUSALS = [400, 401, 403, 404];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function verifyKey(config: ResolvedHttp, req: Requester, base: Vars, credential: Credential, note: (m: string) => void): Promise<void> {
  const spec = config.calls.verify;
  const vars = { ...base, keyId: credential.keyId, secret: credential.secret };
  const username = spec.auth.type === 'basic' ? fillText(spec.auth.username, { ...base, keyId: credential.keyId }) : '';
  const auth = keyHeaders(spec.auth, credential.secret, username);
  const started = Date.now();
  let wait = 500;
  for (let attempt = 1; ; attempt++) {
    const reply = await req.call('verify', spec, vars, { auth, accept: REFUSALS });
    const ok = reply.status >= 200 && reply.status < 300;
    if (ok && (!spec.expect || spec.expect.equals.includes(findOne(reply.json, spec.expect.path) as string))) return;
    // A 2xx that says the key is not usable (a disabled token) is a refusal too; its value is not quoted.
    const answered = ok ? `${reply.status}, but ${spec.expect!.path} is not one of [${spec.expect!.equals.join(', ')}],` : String(reply.status);
    const elapsed = Date.now() - started;
    if (elapsed + wait > config.verifyTimeout) {
      throw new KeyrotError('verify-failed', {
        keyId: credential.keyId,
        reason: `${config.vendor} answered ${answered} to ${req.describe(spec, base)} made with it, ${count(attempt, 'time')} over ${formatDuration(elapsed)}`,
      });
    }
    note(`${config.vendor}: verify answered ${answered}; asking again in ${formatDuration(wait)} (the vendor may still be propagating the key)`);
    await sleep(wait);
    wait = Math.min(wait * 2, 5_000);
  }
}
