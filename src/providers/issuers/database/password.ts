// The new password of a database login: 32 random bytes, base64url (43 characters). It needs no
// quoting in SQL, a URL or a shell, and it is never sent to the server as text where the server can
// take a hash instead (PostgreSQL: a SCRAM verifier; MariaDB: its native hash; Redis: SHA-256).
import { createHash, randomBytes } from 'node:crypto';

export const newPassword = (): string => randomBytes(32).toString('base64url');

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
