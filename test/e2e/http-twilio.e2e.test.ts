// The twilio preset end to end through the built binary against the Twilio test server (checked
// against Twilio's published description): the shared scenarios. A key made through the API is a
// Standard key, which may not fetch the Account: verify reads the Balance with it.
import { expect, it } from 'vitest';
import { vendorPresetSuite, text } from './vendor-preset-suite.js';

vendorPresetSuite('twilio', {
  planCalls: ['Twilio: GET /2010-04-01/Accounts/<accountSid>/Keys.json', 'Twilio: POST /2010-04-01/Accounts/<accountSid>/Keys.json', 'Twilio: GET /2010-04-01/Accounts/<accountSid>/Balance.json with the new key', 'Twilio: DELETE /2010-04-01/Accounts/<accountSid>/Keys/{{keyId}}.json'],
  doctor: ['admin credential from $TWILIO_AUTH_TOKEN', 'Twilio: GET /2010-04-01/Accounts/<accountSid>/Keys.json: the credential may use the Keys resource'],
  lastUse: false,
  vendorLimit: false,
  longList: { seed: 498, pages: 5, total: 500 },
}, (t) => {
  it('verify proves the new Standard key on a resource it may read (the Balance), never the Account it may not', async () => {
    const first = await t().run(['run', 'vendor.yaml']);
    expect(first.code, text(first)).toBe(0);
    const seen = t().rig.server.requests.map((r) => r.operationId);
    expect(seen).toContain('FetchBalance');
    expect(seen).not.toContain('FetchAccount');
  });
});
