// A node-vault client for one Vault server, configured from explicit settings and keyrot's environment
// only. Shared by the vault-kv2 publish target and the Vault state backend (src/vault/ imports neither).
import vault from 'node-vault';
import { KeyrotError } from '../errors.js';
import { readCaFile } from '../ca-file.js';
import { proxyConfigured, vaultHttp } from './http.js';
import type { VaultConnectionConfig, VaultContext } from './schema.js';

export type VaultClient = vault.client;

export interface Connection {
  client: VaultClient;
  address: string;
  namespace?: string;
  timeoutMs: number;
}

/** `what` names the user of this connection in messages ("vault-kv2 target secret/payments/aws"), `setAddress` where else an address can be given. */
export function connect(config: VaultConnectionConfig, ctx: VaultContext, what: string, setAddress = '`address` in the plan'): Connection {
  const address = (config.address ?? ctx.env.VAULT_ADDR)?.replace(/\/+$/, '');
  if (!address) {
    throw new KeyrotError('vault-address-missing', { what, setAddress });
  }
  const namespace = config.namespace ?? (ctx.env.VAULT_NAMESPACE || undefined);
  const skipVerify = config.tls?.skipVerify === true;
  if (skipVerify) ctx.note(`TLS certificate checks are OFF for Vault at ${address} (tls.skipVerify): use this only for testing`);
  const ca = config.tls?.caFile
    ? readCaFile(ctx.planDir, config.tls.caFile, `Vault at ${address}`)
    : ctx.env.VAULT_CACERT ? readCaFile(process.cwd(), ctx.env.VAULT_CACERT, `Vault at ${address}`, 'VAULT_CACERT') : undefined;

  const client = vault({
    endpoint: address,
    // node-vault's debug output includes request bodies: the secret. Keep it silent whatever DEBUG says.
    debug: () => undefined,
    requestOptions: ca ? { ca } : {},
    // Explicit, so VAULT_SKIP_VERIFY in the environment cannot turn verification off silently.
    rpDefaults: { strictSSL: !skipVerify, timeout: config.timeout },
    // Our lean HTTP layer, unless an HTTP proxy is configured (node-vault's axios honours one).
    ...(proxyConfigured(process.env) ? {} : { 'request-promise': vaultHttp(ca) }),
  } as vault.VaultOptions);
  // node-vault falls back to process.env for these; keyrot sets them from the plan and ctx.env only.
  const loose = client as VaultClient & { namespace?: string; pathPrefix: string };
  loose.token = '';
  loose.namespace = namespace;
  loose.pathPrefix = '';
  return { client, address, namespace, timeoutMs: config.timeout };
}
