// The sendgrid preset end to end through the built binary against the SendGrid test server (checked
// against SendGrid's published description): the shared scenarios; the new key gets exactly the
// plan's scopes, and doctor reads the admin key's own scopes.
import { expect, it } from 'vitest';
import { vendorPresetSuite, text } from './vendor-preset-suite.js';

vendorPresetSuite('sendgrid', {
  planCalls: ['SendGrid: GET /v3/api_keys', 'SendGrid: POST /v3/api_keys', 'SendGrid: GET /v3/scopes with the new key', 'SendGrid: DELETE /v3/api_keys/{{keyId}}'],
  doctor: ['admin credential from $SENDGRID_API_KEY', 'SendGrid: GET /v3/scopes: the admin key holds api_keys.create, api_keys.read and api_keys.delete'],
  lastUse: false,
  vendorLimit: true,
  restricted: { doctorCode: 4, doctorSays: 'SendGrid: GET /v3/scopes shows the admin credential lacks api_keys.create (at $.scopes[*]), api_keys.delete (at $.scopes[*])' },
  longList: { seed: 97, pages: 1, total: 99 }, // at most 100 keys an account, in one answer: SendGrid does not page
}, (t) => {
  it('the new key holds exactly the plan\'s scopes (a key without scopes would have full access)', async () => {
    const first = await t().run(['run', 'vendor.yaml']);
    expect(first.code, text(first)).toBe(0);
    const server = t().rig.server as unknown as { keys(): { id: string; scopes: string[] }[] };
    expect(server.keys().find((k) => k.id === t().current().keyId)?.scopes).toEqual(['mail.send']);
  });
});
