// keyrot doctor for an azure-keyvault target: a token is acquired (DefaultAzureCredential, or the
// test seam's credential) and the secret's properties can be read, with one read of the latest
// version, as publish's ownership check makes it. The value is never shown.
import { KeyrotError } from '../../../errors.js';
import type { Check, Ownership } from '../../types.js';

export function azureKeyVaultDoctor(vaultUrl: string, ownership: () => Promise<Ownership>): () => Promise<Check[]> {
  return async () => {
    try {
      const owner = await ownership();
      return [
        { check: 'credentials', status: 'pass', detail: `a token for ${vaultUrl} was acquired (DefaultAzureCredential)` },
        owner.state === 'unmanaged'
          ? { check: 'permissions', status: 'warn', detail: `the secret's properties can be read; it holds a secret keyrot does not manage (${owner.detail})`, hint: 'set `adopt: true` on that target if keyrot should take it over' }
          : { check: 'permissions', status: 'pass', detail: `the secret's properties can be read (${owner.state === 'absent' ? 'nothing published yet' : 'managed by keyrot'})` },
      ];
    } catch (e) {
      if (!(e instanceof KeyrotError)) throw e;
      const failed = (check: string): Check => ({ check, status: 'fail', detail: e.message, error: e });
      if (e.code === 'provider-auth-failed') return [failed('credentials')];
      // Key Vault answered (403 needs a token to be refused): the token was acquired.
      const gotToken: Check = { check: 'credentials', status: 'pass', detail: `a token for ${vaultUrl} was acquired (DefaultAzureCredential)` };
      return e.code === 'azure-denied' ? [gotToken, failed('permissions')] : [failed('endpoint')];
    }
  };
}
