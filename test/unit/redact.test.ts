// The output filter and the origin-only filter: what reaches a terminal, a log or a hook.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callProvider } from '../../src/engine/providers.js';
import { fingerprint } from '../../src/secrets/fingerprint.js';
import { installOutputFilter, redact, rememberSecret, variablesNamedIn } from '../../src/secrets/redact.js';
import { maskUserinfo, originAndPath, originOf, originOnly } from '../../src/secrets/urls.js';

describe('URLs in messages keyrot did not write', () => {
  it('cuts every URL to its origin, keeping the sentence around it', () => {
    expect(originOnly('POST https://u:p@hooks.slack.com/services/T0/B0/XYZ?x=1 failed (ECONNRESET).')).toBe('POST https://hooks.slack.com failed (ECONNRESET).');
    expect(originOnly('see http://127.0.0.1:8200/v1/secret/data/a, then retry')).toBe('see http://127.0.0.1:8200, then retry');
    expect(originOnly('no url here')).toBe('no url here');
  });

  it('never returns a URL it cannot parse', () => {
    expect(originOf('http://[bad')).toBe('[url]');
  });

  it('shows a plan URL as origin and path: no query string, fragment or credentials; a placeholder stays readable', () => {
    expect(originAndPath('https://svc.internal:8443/keys/{{keyId}}/usage?apikey=sk-live-0123#f')).toBe('https://svc.internal:8443/keys/{{keyId}}/usage');
    expect(originAndPath('http://ops:hunter2@h.example/p?token=x')).toBe('http://h.example/p');
    expect(originAndPath('http://h.example?token=x')).toBe('http://h.example/');
    expect(originAndPath('http://h.example#/x?token=y')).toBe('http://h.example/');
    expect(originAndPath('http://[bad/p?token=x')).toBe('[url]');
  });

  it('masks user:pass@ in any URL, and the output filter does it for everything', () => {
    expect(maskUserinfo('GET https://ops:hunter2@h.example/x and ftp://a@b/c')).toBe('GET https://[redacted]@h.example/x and ftp://[redacted]@b/c');
    expect(redact('Vault at http://root:tok3n@127.0.0.1:8200 is sealed')).toBe('Vault at http://[redacted]@127.0.0.1:8200 is sealed');
    expect(maskUserinfo('mail ops@example.com, see https://example.com/a@b')).toBe('mail ops@example.com, see https://example.com/a@b');
  });
});

describe('a provider failure', () => {
  it('quotes a library message with every URL in it cut to its origin', async () => {
    const thrown = await callProvider({ label: 'vault-kv2 secret/api' }, 'publish', () => Promise.reject(new Error('GET https://u:p@vault.internal:8200/v1/secret/data/api?token=abc: socket hang up')))
      .catch((e: unknown) => e as { code: string; message: string });
    expect(thrown).toMatchObject({ code: 'provider-failed', message: 'vault-kv2 secret/api publish failed: GET https://vault.internal:8200: socket hang up' });
  });
});

describe('the output filter with a fleet run\'s secrets', () => {
  // Failure messages name fingerprints and counts only: never the secrets themselves.
  const leaked = (text: string, secrets: string[]) => secrets.filter((s) => text.includes(s)).map(fingerprint);

  it('masks every one of thousands of secrets, each where it appears, and leaves the rest of the line alone', () => {
    const secrets = Array.from({ length: 2000 }, () => randomBytes(30).toString('base64'));
    secrets.forEach(rememberSecret);
    const line = `published ${secrets[0]} to a, ${secrets[1999]}; again ${secrets[0]}.`;
    expect(leaked(redact(line), secrets)).toEqual([]);
    expect(redact(line)).toBe(`published [redacted ${fingerprint(secrets[0]!)}] to a, [redacted ${fingerprint(secrets[1999]!)}]; again [redacted ${fingerprint(secrets[0]!)}].`);
    expect(redact('nothing secret here, 12345678')).toBe('nothing secret here, 12345678');
  });

  it('masks the whole of a secret that another one begins, and a secret at the very end', () => {
    const short = `abcdEFGH${randomBytes(6).toString('hex')}`;
    const long = `${short}${randomBytes(6).toString('hex')}`;
    rememberSecret(short);
    rememberSecret(long);
    expect(redact(`k=${long}`)).toBe(`k=[redacted ${fingerprint(long)}]`);
    expect(redact(`k=${short} `)).toBe(`k=[redacted ${fingerprint(short)}] `);
  });

  it('never lets a remembered secret through, whatever surrounds it', () => {
    const secret = fc.string({ minLength: 8, maxLength: 40, unit: 'grapheme-ascii' });
    const run = fc.check(fc.property(fc.array(secret, { minLength: 1, maxLength: 20 }), fc.array(fc.string(), { maxLength: 20 }), (secrets, filler) => {
      secrets.forEach(rememberSecret);
      const text = secrets.map((s, i) => `${filler[i] ?? ''}${s}`).join(filler[0] ?? ' ');
      return leaked(redact(text), secrets).length === 0;
    }));
    // The seed reproduces a failure; the counterexample itself (secrets, even made-up ones) is not printed.
    expect(run.failed, `a secret got through: fc seed ${run.seed}, path ${run.counterexamplePath}`).toBe(false);
  });
});

describe('the output filter installed on the process', () => {
  /** Whatever reaches stdout and stderr once the filter is installed, captured below it (nothing reaches the terminal). */
  function capturedOutput(env: Record<string, string>, write: () => void): { stdout: string; stderr: string } {
    const streams = { stdout: process.stdout, stderr: process.stderr };
    const originals = { stdout: process.stdout.write, stderr: process.stderr.write };
    const saw = { stdout: '', stderr: '' };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    for (const name of ['stdout', 'stderr'] as const) {
      streams[name].write = ((chunk: string | Uint8Array) => {
        saw[name] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        return true;
      }) as typeof process.stdout.write;
    }
    Object.assign(process.env, env);
    try {
      installOutputFilter();
      write();
    } finally {
      for (const name of ['stdout', 'stderr'] as const) streams[name].write = originals[name];
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
    return saw;
  }
  const leaked = (text: string, secrets: string[]) => secrets.filter((s) => text.includes(s)).map(fingerprint);

  it('masks a secret the process has seen in what anyone writes to stdout and to stderr, as text or as bytes', () => {
    const seen = `sk_${randomBytes(24).toString('hex')}`;
    rememberSecret(seen);
    const out = capturedOutput({}, () => {
      process.stdout.write(`created ${seen}\n`);
      process.stdout.write(Buffer.from(`bytes ${seen}\n`));
      process.stderr.write(`failed: ${seen}\n`);
      process.stderr.write(Buffer.from(`bytes ${seen}\n`));
    });
    expect(leaked(out.stdout + out.stderr, [seen])).toEqual([]);
    expect(out.stdout).toBe(`created [redacted ${fingerprint(seen)}]\nbytes [redacted ${fingerprint(seen)}]\n`);
    expect(out.stderr).toBe(`failed: [redacted ${fingerprint(seen)}]\nbytes [redacted ${fingerprint(seen)}]\n`);
  });

  it('masks the credential variables of the environment, whether or not keyrot used them', () => {
    const token = `hvs.${randomBytes(18).toString('hex')}`;
    const awsSecret = randomBytes(30).toString('base64');
    const out = capturedOutput({ VAULT_TOKEN: token, AWS_SECRET_ACCESS_KEY: awsSecret }, () => {
      process.stdout.write(`a hook printed ${token} and ${awsSecret}\n`);
      process.stderr.write(`an SDK error quoted ${awsSecret}\n`);
    });
    expect(leaked(out.stdout + out.stderr, [token, awsSecret])).toEqual([]);
    expect(out.stdout).toContain(`[redacted ${fingerprint(token)}]`);
    expect(out.stderr).toContain(`[redacted ${fingerprint(awsSecret)}]`);
  });
});

describe('what the filter learns', () => {
  it('names the variables a plan\'s provider and hook settings say hold a credential: fields ending in Env, and headersFromEnv', () => {
    const config = {
      type: 'http', auth: { tokenEnv: 'VENDOR_TOKEN', header: 'Authorization', headersFromEnv: { 'X-Api-Key': 'VENDOR_KEY', 'X-Retries': 3 } },
      notify: [{ type: 'webhook', signingKeyEnv: 'HOOK_SECRET', url: 'https://h.example/x' }, { type: 'command', run: 'true' }],
      env: 'not a variable name', limitEnv: 5, Env: null,
    };
    expect(variablesNamedIn(config).sort()).toEqual(['HOOK_SECRET', 'VENDOR_KEY', 'VENDOR_TOKEN']);
    expect(variablesNamedIn('TOKEN_Env')).toEqual([]);
    expect(variablesNamedIn(null)).toEqual([]);
  });

  it('does not mask a value too short to be a secret (it would mask innocent words)', () => {
    rememberSecret('admin12');
    expect(redact('user admin12 logged in')).toBe('user admin12 logged in');
    const eight = `k${randomBytes(8).toString('hex').slice(0, 7)}`;
    rememberSecret(eight);
    expect(redact(`x ${eight} y`)).toBe(`x [redacted ${fingerprint(eight)}] y`);
  });
});
