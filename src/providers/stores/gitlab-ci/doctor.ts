// keyrot doctor for a gitlab-ci target: the token reads what a publish reads (the variable, which needs
// the role that may change it: Maintainer on a project, Owner on a group), and what it would need to
// write. A write is never tried (it would change the variable). A token's scopes GitLab reports only to
// the token itself (GET /personal_access_tokens/self), a call this store does not make: the scope is
// stated, not checked.
import { KeyrotError } from '../../../errors.js';
import type { Check, Ownership } from '../../types.js';
import type { GitlabApi } from './client.js';
import type { GitlabCiStoreConfig } from './schema.js';

const role = (config: GitlabCiStoreConfig) => (config.project ? `Maintainer on project ${config.project}` : `Owner on group ${config.group}`);

function leastPrivilege(config: GitlabCiStoreConfig): Check {
  const narrowest = config.project
    ? `a project access token of ${config.project} alone, role Maintainer, scope api`
    : `a group access token of ${config.group}, role Owner, scope api`;
  return { check: 'least privilege', status: 'skip', detail: `GitLab does not report a token's scopes to this check; keyrot needs the scope api (read_api cannot write) and the role ${role(config)}: ${narrowest} is the narrowest` };
}

export async function gitlabDoctor(config: GitlabCiStoreConfig, env: NodeJS.ProcessEnv, api: GitlabApi, ownership: () => Promise<Ownership>): Promise<Check[]> {
  if (!env[config.tokenEnv]) {
    return [{ check: 'credentials', status: 'fail', detail: `${config.tokenEnv} is not set`, hint: `put a GitLab token in ${config.tokenEnv} (README, "GitLab CI/CD variables")` }];
  }
  const accepted: Check = { check: 'credentials', status: 'pass', detail: `GitLab accepts the token in ${config.tokenEnv}` };
  try {
    const hidden = (await api.get())?.hidden === true;
    const owner = await ownership();
    const found = owner.state === 'absent' ? 'no variable yet' : owner.state === 'managed' ? 'managed by keyrot' : `a variable keyrot does not manage (${owner.detail})`;
    const warn = owner.state === 'unmanaged' || hidden;
    return [
      accepted,
      {
        check: 'permissions', status: hidden ? 'fail' : warn ? 'warn' : 'pass',
        detail: `reads ${api.where}'s variable ${config.key} (the role ${role(config)} may): ${hidden ? 'a hidden variable, whose value GitLab never returns' : found}; the write is not tried, it would change the variable`,
        ...(hidden ? { hint: 'delete the hidden variable in GitLab (Settings > CI/CD > Variables) so keyrot creates it, or name another key' } : owner.state === 'unmanaged' ? { hint: 'set `adopt: true` on that target if keyrot should take it over' } : {}),
      },
      leastPrivilege(config),
      { check: 'read back', status: 'pass', detail: `readable: verify reads the value back and compares its fingerprint${config.masked ? '; masked, so GitLab keeps it out of job logs' : ''}` },
    ];
  } catch (e) {
    if (!(e instanceof KeyrotError)) throw e;
    const failed = (check: string): Check => ({ check, status: 'fail', detail: e.message, error: e });
    if (e.code === 'provider-auth-failed') return [failed('credentials')];
    return e.code === 'store-denied' || e.code === 'store-target-missing' ? [accepted, failed('permissions')] : [failed('endpoint')];
  }
}
