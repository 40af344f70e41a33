// Identifiers and secrets in the shapes the vendors make them (test data, never a real credential).
import { randomBytes, randomInt } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export const hex = (length: number) => randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length);

export const alnum = (length: number, alphabet = ALNUM) => Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');

/** The last four characters, as vendors show a key they will not show again. */
export const last4 = (secret: string) => secret.slice(-4);
