// A SCRAM-SHA-256 verifier (RFC 7677, PostgreSQL's stored form), computed here so the password itself
// is never sent to the server: `ALTER ROLE … PASSWORD '<verifier>'` stores it as is, and a server
// that logs statements logs only the verifier. The same computation as libpq's PQencryptPasswordConn.
// keyrot's passwords are base64url, for which SASLprep changes nothing.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

const ITERATIONS = 4096; // PostgreSQL's default (scram_iterations)

export function scramVerifier(password: string): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256');
  const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const storedKey = createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
