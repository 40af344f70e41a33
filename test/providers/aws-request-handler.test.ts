// Issue 25, defect 4: the AWS SDK's requestTimeout ends when the headers arrive, and nothing bounded
// the body. Every AWS client keyrot builds sends through awsRequestHandler: one deadline over the
// whole request. A local server answers STS GetCallerIdentity with its headers and then a body that
// stalls, or drips a byte at a time (no idle timeout would ever fire); the call must fail with the
// SDK's own TimeoutError, well before a second has passed beyond the timeout.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsRequestHandler } from '../../src/providers/aws-request-handler.js';

const IDENTITY = '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
  + '<Arn>arn:aws:iam::123456789012:user/svc</Arn><UserId>AIDA</UserId><Account>123456789012</Account>'
  + '</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>';

let mode: 'whole' | 'stall' | 'drip' = 'whole';
let server: http.Server;
let endpoint: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/xml', 'content-length': String(IDENTITY.length) });
      if (mode === 'whole') return void res.end(IDENTITY);
      res.write(IDENTITY.slice(0, 10));
      if (mode === 'drip') {
        let at = 10;
        const drip = setInterval(() => at < IDENTITY.length - 1 && res.write(IDENTITY[at++]!), 50);
        res.on('close', () => clearInterval(drip));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const sts = () => new STSClient({
  region: 'us-east-1', endpoint, maxAttempts: 1,
  credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'not-a-secret' },
  requestHandler: awsRequestHandler(400, 400),
});

describe('awsRequestHandler: one deadline from the request to the last byte of its body', () => {
  it('a whole answer is read as usual', async () => {
    mode = 'whole';
    await expect(sts().send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Account: '123456789012' });
  });

  it.each(['stall', 'drip'] as const)('a body that %ss after the headers fails with TimeoutError (ETIMEDOUT), within the timeout', async (how) => {
    mode = how;
    const started = performance.now();
    const failed = await sts().send(new GetCallerIdentityCommand({})).then(() => undefined, (e: unknown) => e as Error & { code?: string });
    expect(failed?.name).toBe('TimeoutError');
    expect(failed?.code).toBe('ETIMEDOUT');
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
