// What a Vault connection is configured with: address, namespace, TLS, timeout and how to log in.
// The vault-kv2 target takes these from its plan section; the Vault state backend from --state.
import * as z from 'zod';

// A Vault path piece: no leading or trailing "/", no empty segments.
export const vaultPath = (what: string) =>
  z.string().regex(/^[^/]+(\/[^/]+)*$/, `a ${what} without leading or trailing "/", e.g. payments/aws`);

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');

// AppRole ids come from a file or an env var named in the plan, never from the plan itself.
const approle = z
  .strictObject({
    method: z.literal('approle'),
    roleIdFile: z.string().min(1).optional().describe('file holding the role_id; relative to the plan file'),
    roleIdEnv: envName.optional().describe('environment variable holding the role_id'),
    secretIdFile: z.string().min(1).optional().describe('file holding the secret_id; relative to the plan file'),
    secretIdEnv: envName.optional().describe('environment variable holding the secret_id'),
    mount: vaultPath('auth mount').default('approle'),
  })
  .refine((a) => (a.roleIdFile === undefined) !== (a.roleIdEnv === undefined), 'set exactly one of roleIdFile or roleIdEnv')
  .refine((a) => (a.secretIdFile === undefined) !== (a.secretIdEnv === undefined), 'set exactly one of secretIdFile or secretIdEnv');

const kubernetes = z.strictObject({
  method: z.literal('kubernetes'),
  role: z.string().min(1).describe('Vault role bound to this service account'),
  jwtFile: z.string().min(1).default('/var/run/secrets/kubernetes.io/serviceaccount/token').describe('service account token file'),
  mount: vaultPath('auth mount').default('kubernetes'),
});

const token = z.strictObject({ method: z.literal('token') }).describe('VAULT_TOKEN, then ~/.vault-token (as the vault CLI)');

export const vaultAuth = z.discriminatedUnion('method', [token, approle, kubernetes]);
export type VaultAuth = z.output<typeof vaultAuth>;

/** The connection settings (the vault-kv2 target's plan section has these fields among others). */
export interface VaultConnectionConfig {
  address?: string;
  namespace?: string;
  tls?: { caFile?: string; skipVerify: boolean };
  /** Per-request timeout, ms. */
  timeout: number;
}

/** What a connection needs from its caller: the environment, where relative files resolve, a way to warn. */
export interface VaultContext {
  /** Folder that relative file names (CA file, AppRole id files, JWT file) resolve against. */
  planDir: string;
  env: NodeJS.ProcessEnv;
  note(message: string): void;
  /** Where another login method is chosen, for messages; default: the plan's `auth.method`. */
  authSetting?: string;
}
