// The output filter and the origin-only filter: what reaches a terminal, a log or a hook.
import { describe, expect, it } from 'vitest';
import { redact } from '../../src/secrets/redact.js';
import { maskUserinfo, originOf, originOnly } from '../../src/secrets/urls.js';

describe('URLs in messages keyrot did not write', () => {
  it('cuts every URL to its origin, keeping the sentence around it', () => {
    expect(originOnly('POST https://u:p@hooks.slack.com/services/T0/B0/XYZ?x=1 failed (ECONNRESET).')).toBe('POST https://hooks.slack.com failed (ECONNRESET).');
    expect(originOnly('see http://127.0.0.1:8200/v1/secret/data/a, then retry')).toBe('see http://127.0.0.1:8200, then retry');
    expect(originOnly('no url here')).toBe('no url here');
  });

  it('never returns a URL it cannot parse', () => {
    expect(originOf('http://[bad')).toBe('[url]');
  });

  it('masks user:pass@ in any URL, and the output filter does it for everything', () => {
    expect(maskUserinfo('GET https://ops:hunter2@h.example/x and ftp://a@b/c')).toBe('GET https://[redacted]@h.example/x and ftp://[redacted]@b/c');
    expect(redact('Vault at http://root:tok3n@127.0.0.1:8200 is sealed')).toBe('Vault at http://[redacted]@127.0.0.1:8200 is sealed');
    expect(maskUserinfo('mail ops@example.com, see https://example.com/a@b')).toBe('mail ops@example.com, see https://example.com/a@b');
  });
});

describe('a provider failure', () => {
  it('quotes a library message with every URL in it cut to its origin', async () => {
    const { callProvider } = await import('../../src/engine/providers.js');
    const thrown = await callProvider({ label: 'vault-kv2 secret/api' }, 'publish', () => Promise.reject(new Error('GET https://u:p@vault.internal:8200/v1/secret/data/api?token=abc: socket hang up')))
      .catch((e: unknown) => e as { code: string; message: string });
    expect(thrown).toMatchObject({ code: 'provider-failed', message: 'vault-kv2 secret/api publish failed: GET https://vault.internal:8200: socket hang up' });
  });
});
