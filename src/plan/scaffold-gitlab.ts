// keyrot init's section for a gitlab-ci target: the variable, its flags with what each does, the token
// and what it needs, and rollback: false where no other target of the plan keeps the old key.
export const GITLAB_FORM = 'gitlab-ci:GROUP/PROJECT/KEY[@ENVIRONMENT_SCOPE] or gitlab-ci:group:GROUP/KEY';

const q = (v: string) => (/^[A-Za-z][\w./@-]*$/.test(v) ? v : JSON.stringify(v));

/** The section's plan lines and permission comments; undefined when `where` is not of GITLAB_FORM. */
export function gitlabSection(where: string, kept: boolean): { lines: string[]; permissions: string[] } | undefined {
  const group = /^group:((?:[\w.-]+\/)*[\w.-]+)\/([A-Za-z0-9_]+)$/.exec(where);
  const project = /^((?:[\w.-]+\/)+[\w.-]+)\/([A-Za-z0-9_]+)(?:@(.+))?$/.exec(where);
  if (!group && !project) return undefined;
  const scope = project?.[3];
  return {
    lines: [
      '  - type: gitlab-ci            # readable: keyrot records which key it wrote in the variable\'s description',
      group ? `    group: ${q(group[1]!)}` : `    project: ${q(project![1]!)}`,
      `    key: ${(group ?? project)![2]}`,
      ...(scope ? [`    environmentScope: ${q(scope)}   # only jobs of these environments get it`] : []),
      '    value: "{{secret}}"',
      '    masked: true                # kept out of job logs (GitLab masks 8+ characters of A-Z a-z 0-9 _ + = / @ : . ~ -)',
      '    protected: true             # only pipelines on protected branches and tags get it',
      '    tokenEnv: GITLAB_TOKEN      # an access token (permissions above), sent as PRIVATE-TOKEN',
      '    # url: https://gitlab.example.com   # a self-managed GitLab (default https://gitlab.com)',
      ...(kept ? [] : ['    rollback: false             # no other target keeps the old key, so a rollback leaves this one serving the new key']),
    ],
    permissions: [
      group
        ? `GitLab (group ${group[1]}): a group access token with the Owner role and the scope api (read_api cannot write)`
        : `GitLab (project ${project![1]}): a project access token of that project with the Maintainer role and the scope api (read_api cannot write)`,
    ],
  };
}
