// Issue 25, defect 4: the CI stores read their answers through fetchWithin, one deadline over the
// request and the whole body, which cancels the body's reader itself (a signal handed to fetch reached
// the body only while undici's request lived: a GitHub call whose body stalled hung). A local server
// sends its headers and then a body that stalls, or drips a byte at a time (no idle timeout fires);
// the call must fail with a TimeoutError soon after the deadline, and a whole answer come back whole.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchWithin } from '../../src/shared/fetch-within.js';

const BODY = JSON.stringify({ key_id: '568250167242549743', key: 'x'.repeat(40) });

let mode: 'whole' | 'stall' | 'drip' = 'whole';
let server: http.Server;
let url: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(BODY.length) });
    if (mode === 'whole') return void res.end(BODY);
    res.write(BODY.slice(0, 5));
    if (mode === 'drip') {
      let at = 5;
      const drip = setInterval(() => at < BODY.length - 1 && res.write(BODY[at++]!), 50);
      res.on('close', () => clearInterval(drip));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('fetchWithin', () => {
  it('answers the whole body', async () => {
    mode = 'whole';
    const { response, text } = await fetchWithin(url, {}, 2_000);
    expect(response.status).toBe(200);
    expect(text).toBe(BODY);
  });

  it.each(['stall', 'drip'] as const)('a body that %ss after the headers fails with TimeoutError soon after the deadline, never as a shorter answer', async (m) => {
    mode = m;
    const started = performance.now();
    const error = await fetchWithin(url, {}, 400).then(() => undefined, (e: unknown) => e as Error);
    expect(error?.name).toBe('TimeoutError');
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
