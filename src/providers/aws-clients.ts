// AWS SDK clients shared by every plan of one process that calls AWS as the same identity, over one
// pool of keep-alive connections. A fleet of 1000 IAM plans that all use the default chain then makes
// one credential lookup (one AssumeRole) and a handful of TCP connections, not 1000 of each.
//
// What makes two plans "the same identity" is everything a client or its credential chain is built
// from: the plan settings the caller names (region, endpoint, profile, role, timeouts), plus the
// environment the SDK reads its default chain from (every AWS_* variable, and HOME for ~/.aws). The
// environment enters the key only as a SHA-256 digest: a key never holds a secret.
//
// No SDK is imported here (the caller builds its own client, with aws-request-handler.ts), so loading
// this module costs nothing.
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

interface Destroyable {
  destroy(): void;
}

/** Enough for --concurrency well past 16 with one call in flight per plan; more requests queue. */
const MAX_SOCKETS = 50;

const clients = new Map<string, Destroyable>();
let agents: { httpAgent: http.Agent; httpsAgent: https.Agent } | undefined;

/** The keep-alive agents every shared AWS client sends through (an idle socket does not keep the process alive). */
export function keepAliveAgents(): { httpAgent: http.Agent; httpsAgent: https.Agent } {
  agents ??= {
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
    httpsAgent: new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
  };
  return agents;
}

/** The part of the environment the AWS default chain reads, as a digest. */
function environmentDigest(env: NodeJS.ProcessEnv): string {
  const relevant = Object.keys(env)
    .filter((k) => k.startsWith('AWS_') || k === 'HOME')
    .sort()
    .map((k) => `${k}=${env[k] ?? ''}`);
  return createHash('sha256').update(relevant.join('\0')).digest('hex').slice(0, 16);
}

/** The cache key of one identity: the settings given (in a fixed order) and the environment's digest. */
export function identityKey(settings: Record<string, string | number | boolean | undefined>, env: NodeJS.ProcessEnv = process.env): string {
  const named = Object.keys(settings)
    .sort()
    .map((k) => `${k}=${settings[k] ?? ''}`);
  return [...named, `env=${environmentDigest(env)}`].join('|');
}

/**
 * The client cached under `kind` and `key`, built by `build` on first use. `kind` keeps different
 * clients of one identity apart ("iam", "sts", "secretsmanager").
 */
export function sharedClient<T extends Destroyable>(kind: string, key: string, build: () => T): T {
  const id = `${kind}\n${key}`;
  let client = clients.get(id) as T | undefined;
  if (!client) {
    client = build();
    clients.set(id, client);
  }
  return client;
}

/** How many clients are cached (for tests). */
export const sharedClientCount = (): number => clients.size;

/**
 * Forget every shared client and close its connections. Tests call it between cases; a process that
 * ends need not (idle keep-alive sockets do not hold it open).
 */
export function resetAwsClients(): void {
  for (const client of clients.values()) client.destroy();
  clients.clear();
  agents?.httpAgent.destroy();
  agents?.httpsAgent.destroy();
  agents = undefined;
}
