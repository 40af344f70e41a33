// The floor for IAM rotations (issue 27): what no orchestrator can beat. For each user of a list, the
// same six calls keyrot makes (ListAccessKeys, CreateAccessKey, STS GetCallerIdentity signed with the
// new key, UpdateAccessKey to Inactive, GetAccessKeyLastUsed, DeleteAccessKey) and the same publish (a
// JSON file written atomically and durably: temporary file, fsync, rename), `concurrency` users at a
// time, with one shared IAM client over one keep-alive pool, and no bookkeeping: no state, no lock, no
// audit, no checks, no retries. bench/iam-fleet.mjs runs it as a child process, as it runs keyrot.
// Usage: node bench/iam-floor.mjs <endpoint> <users-file: "user" per line> <out-dir> [concurrency=16]
import { open, readFile, rename } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import {
  CreateAccessKeyCommand, DeleteAccessKeyCommand, GetAccessKeyLastUsedCommand, IAMClient, ListAccessKeysCommand, UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import pLimit from 'p-limit';

const [endpoint, usersFile, outDir, concurrency = '16'] = process.argv.slice(2);
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

async function rotate(user) {
  const keys = (await iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? [];
  const old = keys.find((k) => k.Status === 'Active')?.AccessKeyId;
  const { AccessKey: created } = await iam.send(new CreateAccessKeyCommand({ UserName: user }));
  await publish(path.join(outDir, `${user}.json`), JSON.stringify({ current: { keyId: created.AccessKeyId, secret: created.SecretAccessKey } }));
  const sts = new STSClient({ region, endpoint, requestHandler, credentials: { accessKeyId: created.AccessKeyId, secretAccessKey: created.SecretAccessKey } });
  await sts.send(new GetCallerIdentityCommand({}));
  if (!old) return;
  await iam.send(new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: old, Status: 'Inactive' }));
  await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: old }));
  await iam.send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: old }));
}

const users = (await readFile(usersFile, 'utf8')).split('\n').filter(Boolean);
const limit = pLimit(Number(concurrency));
await Promise.all(users.map((user) => limit(() => rotate(user))));
httpAgent.destroy();
