// The only GitLab REST calls keyrot makes for one CI/CD variable: read it, create it, update it
// (project: GET/POST/PUT /projects/:id/variables[/:key], the environment scope selected by
// filter[environment_scope]; group: the same under /groups/:id). Every failure becomes a KeyrotError
// naming the target and the call.
import { type RateLimit, rest, RestFailure, type Reply } from '../rest.js';
import { storeFailure, tokenFrom } from '../rest-failure.js';
import type { GitlabCiStoreConfig } from './schema.js';

/** A variable as GitLab answers it (APIEntitiesCiVariable). A hidden one answers value null. */
export interface GitlabVariable {
  key: string;
  value: string | null;
  hidden?: boolean;
  masked?: boolean;
  protected?: boolean;
  raw?: boolean;
  environment_scope?: string;
  description?: string | null;
}

/** What keyrot writes: the value, its description (keyrot's record) and the plan's flags. */
export interface VariableWrite {
  value: string;
  description: string;
}

export interface GitlabApi {
  /** "project acme/app (environment scope production)", "group acme". */
  readonly where: string;
  /** The variable's API address, for dry runs. */
  readonly address: string;
  get(): Promise<GitlabVariable | undefined>;
  /** 'taken' when GitLab already holds that key in that scope (an answer lost and the create retried, or
   *  another writer); undefined when the write was answered without its body (cut short). */
  create(write: VariableWrite): Promise<GitlabVariable | 'taken' | undefined>;
  update(write: VariableWrite): Promise<GitlabVariable | undefined>;
}

/** 429 (GitLab's only rate-limit answer), until Retry-After (seconds), else RateLimit-Reset (Unix seconds), else a minute. */
export function gitlabRateLimit(status: number, headers: Headers, now: number): RateLimit | undefined {
  if (status !== 429) return undefined;
  const retryAfter = headers.get('retry-after');
  if (retryAfter && /^\d+$/.test(retryAfter)) return { until: new Date(now + Number(retryAfter) * 1000) };
  const reset = headers.get('ratelimit-reset');
  if (reset && /^\d+$/.test(reset)) return { until: new Date(Number(reset) * 1000) };
  return { until: new Date(now + 60_000) };
}

/** GitLab's words: {"message": "404 Project Not Found"}, {"message": {"value": ["is invalid"]}}, {"error": …}. */
export function gitlabSaid(reply: Reply | undefined): string {
  const body = (reply?.json ?? {}) as { message?: unknown; error?: unknown; error_description?: unknown };
  const { message } = body;
  if (typeof message === 'string') return message.slice(0, 200);
  if (message && typeof message === 'object') {
    return Object.entries(message).map(([field, why]) => `${field} ${([] as unknown[]).concat(why).join(', ')}`).join('; ').slice(0, 200);
  }
  if (typeof body.error === 'string') return `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}`.slice(0, 200);
  return 'no message';
}

/** A 404 about the variable (absent), not about the project or group (missing, or hidden from the token). */
export const variableNotFound = (reply: Reply): boolean => /Variable Not Found/i.test(gitlabSaid(reply));

export function gitlabApi(config: GitlabCiStoreConfig, ctx: { env: NodeJS.ProcessEnv; note(m: string): void }, store: string): GitlabApi {
  const owner = config.project ?? config.group!;
  const kind = config.project ? 'projects' : 'groups';
  const base = `/api/v4/${kind}/${encodeURIComponent(owner)}/variables`;
  const scoped = Boolean(config.project);
  const filter = scoped ? `?${new URLSearchParams({ 'filter[environment_scope]': config.environmentScope })}` : '';
  const where = config.project
    ? `project ${config.project}${config.environmentScope === '*' ? '' : ` (environment scope ${config.environmentScope})`}`
    : `group ${config.group}`;
  const target = {
    store, vendor: 'GitLab', tokenEnv: config.tokenEnv, where: config.project ? `project ${config.project}` : `group ${config.group}`,
    fields: config.project ? '`project`' : '`group`',
    needs: config.project
      ? `the Maintainer role on project ${config.project} and the scope api (read_api cannot write)`
      : `the Owner role on group ${config.group} and the scope api (read_api cannot write)`,
    said: gitlabSaid,
  };

  const token = () => tokenFrom(ctx.env, config.tokenEnv, store, 'GitLab', 'GitLab CI/CD variables');
  const restConfig = {
    baseUrl: config.url.replace(/\/+$/, ''),
    headers: (): Record<string, string> => (config.tokenHeader === 'bearer' ? { authorization: `Bearer ${token()}` } : { 'private-token': token() }),
    timeoutMs: config.timeout,
    maxRetryWaitMs: config.maxRetryWait,
    rateLimit: gitlabRateLimit,
    note: ctx.note,
  };

  async function send(method: string, path: string, options: { body?: unknown; accept?: number[] } = {}): Promise<Reply> {
    try {
      return await rest(restConfig, method, path, options);
    } catch (e) {
      throw storeFailure(e, `${method} ${path}`, target);
    }
  }

  const flags = { masked: config.masked, protected: config.protected, raw: config.raw, variable_type: 'env_var' as const };
  const scope = scoped ? { environment_scope: config.environmentScope } : {};
  const path = `${base}/${config.key}`;

  return {
    where,
    address: `${restConfig.baseUrl}${path}${filter}`,
    async get() {
      const reply = await send('GET', `${path}${filter}`, { accept: [404] });
      if (reply.status === 404 && variableNotFound(reply)) return undefined;
      if (reply.status === 404) throw storeFailure(new RestFailure(`GET ${path}`, reply, 'answered 404'), `GET ${path}${filter}`, target);
      return reply.json as GitlabVariable;
    },
    async create(write) {
      const reply = await send('POST', base, { body: { key: config.key, ...write, ...flags, ...scope }, accept: [400] });
      if (reply.status === 400 && /has already been taken/.test(gitlabSaid(reply))) return 'taken';
      if (reply.status === 400) throw storeFailure(new RestFailure(`POST ${base}`, reply, 'answered 400'), `POST ${base}`, target);
      return reply.json as GitlabVariable | undefined;
    },
    async update(write) {
      const selected = scoped ? { filter: { environment_scope: config.environmentScope } } : {};
      const reply = await send('PUT', path, { body: { ...write, ...flags, ...scope, ...selected } });
      return reply.json as GitlabVariable | undefined;
    },
  };
}
