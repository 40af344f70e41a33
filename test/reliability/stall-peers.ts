// The peers of the stalled-answer cases (stall-cases.ts, stall-cases-http.ts), started once per test
// file on first use (`closePeers` stops them), and what the cases share: the AWS test credentials, a
// file target, and the snapshots that show a stalled run changed nothing a provider held.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { readLedger } from '../helpers/inspect.js';
import type { Workspace } from '../helpers/workspace.js';
import { type MariaDb, startMariaDb } from '../peers/mariadb.js';
import { type Moto, startMoto } from '../peers/moto.js';
import { type OpenBao, startOpenBao } from '../peers/openbao.js';
import { type Postgres, startPostgres } from '../peers/postgresql.js';
import { type Prometheus, startPrometheus } from '../peers/prometheus.js';
import { type Redis, startRedis } from '../peers/redis.js';

interface Stoppable {
  stop(): Promise<void>;
}
const peers = new Map<string, Promise<Stoppable>>();
const shared = <T extends Stoppable>(name: string, start: () => Promise<T>) => (): Promise<T> => {
  if (!peers.has(name)) peers.set(name, start());
  return peers.get(name) as Promise<T>;
};
export const moto = shared<Moto>('moto', startMoto);
export const bao = shared<OpenBao>('openbao', () => startOpenBao());
export const prometheus = shared<Prometheus>('prometheus', () => startPrometheus([]));
export const postgres = shared<Postgres>('postgresql', startPostgres);
export const mariadb = shared<MariaDb>('mariadb', startMariaDb);
export const redis = shared<Redis>('redis', startRedis);

export async function closePeers(): Promise<void> {
  await Promise.all([...peers.values()].map((p) => p.then((peer) => peer.stop(), () => undefined)));
}

export const AWS_ENV = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };
export const file = (name: string) => ({ type: 'file', path: `${name}.json` });

/** A value as a snapshot holds it: a short fingerprint (never the value), or "absent". */
export const print = (value: string | undefined | null): string => (value == null ? 'absent' : createHash('sha256').update(value).digest('hex').slice(0, 12));

/** The keys keyrot's ledger holds for a plan with status (the generated issuer, a usage gate's plan). */
export const ledgerOf = (ws: Workspace, plan: string) => async (): Promise<Record<string, string>> =>
  Object.fromEntries(readLedger(path.join(ws.dir, '.keyrot'), plan).map((k) => [k.id, k.status]));
