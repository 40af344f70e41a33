// The datadog preset end to end through the built binary against the Datadog test server (checked
// against Datadog's published description): the shared scenarios, and the admin API key, which
// Datadog lists among the keys, never rotated away.
import { expect, it } from 'vitest';
import { issuerFrom } from '../helpers/http-issuer.js';
import { vendorPresetSuite, text } from './vendor-preset-suite.js';

vendorPresetSuite('datadog', {
  planCalls: ['Datadog: GET /api/v2/api_keys', 'Datadog: POST /api/v2/api_keys', 'Datadog: GET /api/v1/validate with the new key', 'Datadog: DELETE /api/v2/api_keys/{{keyId}}'],
  doctor: ['admin credential from $DD_API_KEY, $DD_APP_KEY', 'Datadog: GET /api/v1/validate: Datadog accepts the admin API key', 'not checked', 'api_keys_read, api_keys_write, api_keys_delete'],
  lastUse: true,
  vendorLimit: true,
  restricted: { doctorCode: 0, doctorSays: 'not checked' },
  longList: { seed: 498, pages: 5, total: 500 },
}, (t) => {
  it('a 403 is named as a bad credential or a missing permission (Datadog answers 403 for both)', async () => {
    t().rig.revokeAdmin();
    const refused = await t().run(['run', 'vendor.yaml']);
    expect(refused.code, text(refused)).toBe(4);
    expect(refused.stderr).toContain('the admin credential ($DD_API_KEY, $DD_APP_KEY) is invalid or expired, or may not do this (Datadog answers 403 for both)');
  });

  it('never deletes or rotates away the API key keyrot authenticates with, even one this plan created (exit 3)', async () => {
    const first = await t().run(['run', 'vendor.yaml']);
    expect(first.code, text(first)).toBe(0);
    const { keyId, secret } = t().current();
    // Rotating the key keyrot itself sends: the quiet gate sees keyrot's own calls as use, and holds.
    const selfRotation = await t().run(['run', '--yes', 'vendor.yaml'], { DD_API_KEY: secret });
    expect(selfRotation.code, text(selfRotation)).toBe(3);
    expect(selfRotation.stderr).toContain(`old key ${keyId} was still used`);
    // And the issuer refuses on its own, where no gate stands before it (a revoke deletes at once).
    const issuer = await issuerFrom(`${t().ws.dir}/vendor.yaml`, { ...t().rig.env, DD_API_KEY: secret });
    await expect(issuer.delete(keyId)).rejects.toMatchObject({ code: 'http-admin-key', exitCode: 3, message: `Datadog: key ${keyId} is the admin credential keyrot authenticates with ($DD_API_KEY, $DD_APP_KEY); refusing to delete it` });
    expect(t().rig.keys().some((k) => k.id === keyId)).toBe(true);
  });
});
