// keyrot doctor for a github-actions target: the token reads what a publish reads (the public key, the
// secret's metadata, keyrot's record), and holds no more than it needs. A write is never tried (it
// would change the secret); GitHub tells a fine-grained or App token's permissions to no one, so only a
// classic token's scopes (X-OAuth-Scopes) can be checked.
import { KeyrotError } from '../../../errors.js';
import type { Check, Ownership } from '../../types.js';
import type { GithubApi } from './client.js';
import type { GithubActionsStoreConfig } from './schema.js';

/** What each level needs, as a fine-grained token's permissions and as classic scopes. */
function needs(config: GithubActionsStoreConfig): { fineGrained: string; classic: string[] } {
  if (config.organization) return { fineGrained: 'organization permissions Secrets: write and Variables: write', classic: ['admin:org'] };
  if (config.environment) return { fineGrained: 'repository permission Environments: write (and Metadata: read)', classic: ['repo', 'public_repo'] };
  return { fineGrained: 'repository permissions Secrets: write and Variables: write (and Metadata: read)', classic: ['repo', 'public_repo'] };
}

function leastPrivilege(config: GithubActionsStoreConfig, scopes: string[] | undefined): Check {
  const need = needs(config);
  if (scopes === undefined) {
    return { check: 'least privilege', status: 'skip', detail: `a fine-grained or GitHub App token: GitHub does not report its permissions; it needs only the ${need.fineGrained}, on this ${config.organization ? 'organization' : 'repository'} alone` };
  }
  const extra = scopes.filter((s) => !need.classic.includes(s));
  if (extra.length === 0) return { check: 'least privilege', status: 'pass', detail: `a classic token with scopes ${scopes.join(', ') || '(none)'}` };
  return {
    check: 'least privilege', status: 'warn',
    detail: `a classic token with more than keyrot needs (${need.classic.join(' or ')}): also ${extra.join(', ')}`,
    hint: `use a fine-grained token with only the ${need.fineGrained}, then check again: \`keyrot doctor\` with the same plans`,
  };
}

export async function githubDoctor(config: GithubActionsStoreConfig, env: NodeJS.ProcessEnv, api: GithubApi, ownership: () => Promise<Ownership>): Promise<Check[]> {
  if (!env[config.tokenEnv]) {
    return [{ check: 'credentials', status: 'fail', detail: `${config.tokenEnv} is not set`, hint: `put a GitHub token in ${config.tokenEnv} (README, "GitHub Actions secrets")` }];
  }
  try {
    await api.publicKey();
    const owner = await ownership();
    const found = owner.state === 'absent' ? 'no secret yet' : owner.state === 'managed' ? 'managed by keyrot' : `a secret keyrot does not manage (${owner.detail})`;
    return [
      { check: 'credentials', status: 'pass', detail: `GitHub accepts the token in ${config.tokenEnv}` },
      {
        check: 'permissions', status: owner.state === 'unmanaged' ? 'warn' : 'pass',
        detail: `reads the public key, the secret's metadata and keyrot's record (${found}); the write is not tried, it would change the secret`,
        ...(owner.state === 'unmanaged' ? { hint: 'set `adopt: true` on that target if keyrot should take it over' } : {}),
      },
      leastPrivilege(config, api.scopes()),
      { check: 'read back', status: 'pass', detail: 'write-only: GitHub never returns a value; verify checks that the secret\'s updated_at still matches keyrot\'s write' },
    ];
  } catch (e) {
    if (!(e instanceof KeyrotError)) throw e;
    const failed = (check: string): Check => ({ check, status: 'fail', detail: e.message, error: e });
    if (e.code === 'provider-auth-failed') return [failed('credentials')];
    const accepted: Check = { check: 'credentials', status: 'pass', detail: `GitHub accepts the token in ${config.tokenEnv}` };
    return e.code === 'store-denied' || e.code === 'store-target-missing' ? [accepted, failed('permissions')] : [failed('endpoint')];
  }
}
