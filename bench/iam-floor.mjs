// The floor for IAM rotations (issue 27): what no orchestrator can beat. For each user of a list, the
// same six calls keyrot makes (ListAccessKeys, CreateAccessKey, STS GetCallerIdentity signed with the
// new key, UpdateAccessKey to Inactive, GetAccessKeyLastUsed, DeleteAccessKey) and the same publish (a
// JSON file written atomically and durably: temporary file, fsync, rename), `concurrency` users at a
// time, with one shared IAM client over one keep-alive pool, and no bookkeeping: no state, no lock, no
// audit, no checks, no retries. bench/iam-fleet.mjs runs it as a child process, as it runs keyrot.
// With `saves` > 0, each rotation also writes a small JSON record (about the size of keyrot's) that many
// times, atomically and durably like the publish, spread around its side effects as keyrot's state saves
// are: the floor plus what invariant 5 of DESIGN.md (state durable before and after each side effect)
// costs by itself, so the rest of the gap is keyrot's own bookkeeping.
// Usage: node bench/iam-floor.mjs <endpoint> <users-file: "user" per line> <out-dir> [concurrency=16] [saves=0]
import { open, readFile, rename } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import {
  CreateAccessKeyCommand, DeleteAccessKeyCommand, GetAccessKeyLastUsedCommand, IAMClient, ListAccessKeysCommand, UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import pLimit from 'p-limit';

const [endpoint, usersFile, outDir, concurrency = '16', saves = '0'] = process.argv.slice(2);
const SAVES = Number(saves);
const region = 'us-east-1';
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 50 });
const requestHandler = { httpAgent };
const iam = new IAMClient({ region, endpoint, requestHandler, credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY } });

async function publish(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w', 0o600);
  await handle.writeFile(text);
  await handle.datasync();
  await handle.close();
  await rename(tmp, file);
}

/** The points of a rotation where keyrot saves its state, in order; `SAVES` of them are written. */
const SAVE_POINTS = ['start', 'before create', 'created', 'published', 'verified', 'before deactivate', 'deactivated', 'quiet', 'before delete', 'deleted', 'done'];

/** One state save at `point`, if this run makes that many (a record of ~1 KB, as keyrot's is). */
async function save(user, point) {
  const index = SAVE_POINTS.indexOf(point);
  if (index >= SAVES) return;
  const record = { plan: user, phase: point, rotationId: `${user}-rotation`, history: SAVE_POINTS.slice(0, index + 1).map((p) => ({ phase: p, at: new Date().toISOString() })) };
  await publish(path.join(outDir, `${user}.state.json`), JSON.stringify(record, null, 2));
}

async function rotate(user) {
  await save(user, 'start');
  const keys = (await iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? [];
  const old = keys.find((k) => k.Status === 'Active')?.AccessKeyId;
  await save(user, 'before create');
  const { AccessKey: created } = await iam.send(new CreateAccessKeyCommand({ UserName: user }));
  await save(user, 'created');
  await publish(path.join(outDir, `${user}.json`), JSON.stringify({ current: { keyId: created.AccessKeyId, secret: created.SecretAccessKey } }));
  await save(user, 'published');
  const sts = new STSClient({ region, endpoint, requestHandler, credentials: { accessKeyId: created.AccessKeyId, secretAccessKey: created.SecretAccessKey } });
  await sts.send(new GetCallerIdentityCommand({}));
  await save(user, 'verified');
  if (!old) return;
  await save(user, 'before deactivate');
  await iam.send(new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: old, Status: 'Inactive' }));
  await save(user, 'deactivated');
  await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: old }));
  await save(user, 'quiet');
  await save(user, 'before delete');
  await iam.send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: old }));
  await save(user, 'deleted');
  await save(user, 'done');
}

const users = (await readFile(usersFile, 'utf8')).split('\n').filter(Boolean);
const limit = pLimit(Number(concurrency));
await Promise.all(users.map((user) => limit(() => rotate(user))));
httpAgent.destroy();
