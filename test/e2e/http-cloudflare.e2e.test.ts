// The cloudflare preset end to end through the built binary against the Cloudflare test server
// (checked against Cloudflare's published description): the shared scenarios; a token is disabled
// (not deleted) at deactivate and enabled again by rollback, by a full-replace PUT that keeps its
// policies; verify refuses a disabled token although Cloudflare answers it 200.
import { expect, it } from 'vitest';
import { issuerFrom } from '../helpers/http-issuer.js';
import type { CloudflareTestServer } from '../peers/vendors/cloudflare.js';
import { vendorPresetSuite, text } from './vendor-preset-suite.js';

vendorPresetSuite('cloudflare', {
  planCalls: ['Cloudflare: GET /user/tokens', 'Cloudflare: POST /user/tokens', 'Cloudflare: GET /user/tokens/verify with the new key', 'Cloudflare: PUT /user/tokens/{{keyId}}', 'Cloudflare: DELETE /user/tokens/{{keyId}}'],
  doctor: ['admin credential from $CLOUDFLARE_API_TOKEN', 'Cloudflare: GET /user/tokens/verify: Cloudflare accepts the admin token, and it is active', 'the admin token holds "API Tokens Write"'],
  lastUse: true,
  vendorLimit: true,
  restricted: { doctorCode: 4, doctorSays: 'lacks API Tokens Write' },
  longList: { seed: 498, pages: 10, total: 500 },
}, (t) => {
  it('deactivate disables the old token and keeps its policies; rollback enables it again', async () => {
    const server = t().rig.server as unknown as CloudflareTestServer;
    t().ws.plan('vendor', {
      apiVersion: 'keyrot/v1', name: 'vendor', drain: '0s', soak: '1h',
      source: { ...t().rig.source, timeout: '2s' }, publish: [{ type: 'file', path: 'keys.json' }],
    });
    const first = await t().run(['run', 'vendor.yaml']);
    expect(first.code, text(first)).toBe(0);
    const old = t().current();
    const policies = server.tokens().find((k) => k.id === old.keyId)!.policies;
    const soaking = await t().run(['run', '--no-wait', '--yes', 'vendor.yaml']);
    expect(soaking.code, text(soaking)).toBe(75);
    expect(server.tokens().find((k) => k.id === old.keyId)).toMatchObject({ status: 'disabled', policies });
    const back = await t().run(['rollback', 'vendor.yaml']);
    expect(back.code, text(back)).toBe(0);
    expect(server.tokens().find((k) => k.id === old.keyId)).toMatchObject({ status: 'active', policies });
  });

  it('verify refuses a disabled token, which Cloudflare\'s verify call answers 200', async () => {
    const first = await t().run(['run', 'vendor.yaml']);
    expect(first.code, text(first)).toBe(0);
    const issuer = await issuerFrom(`${t().ws.dir}/vendor.yaml`, t().rig.env);
    await issuer.deactivate(t().current().keyId);
    await expect(issuer.verify(t().current())).rejects.toMatchObject({ code: 'verify-failed', message: expect.stringContaining('200, but $.result.status is not one of [active]') });
  });
});
