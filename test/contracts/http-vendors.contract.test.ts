// The KeyIssuer contract for each vendor preset, against its test server (test/peers/vendors/),
// which checks every request keyrot sends against the vendor's published description: none may
// break it. The admin credential's own key and a foreign key sit on every account: neither is ever
// listed or touched.
import { expect } from 'vitest';
import { issuerFrom } from '../helpers/http-issuer.js';
import { startRig, type VendorRig } from '../helpers/vendor-rigs.js';
import { workspace } from '../helpers/workspace.js';
import { keyIssuerContract } from './key-issuer.contract.js';

const PRESETS: VendorRig['preset'][] = ['datadog', 'twilio', 'sendgrid', 'cloudflare', 'openai'];

for (const preset of PRESETS) {
  keyIssuerContract(`http: ${preset} preset (spec-checked test server)`, async () => {
    const rig = await startRig(preset);
    const [foreign] = rig.seedForeign(1);
    const ws = workspace();
    const plan = ws.plan('vendor', {
      apiVersion: 'keyrot/v1', name: 'vendor', publish: [{ type: 'file', path: 'keys.json' }],
      source: { ...rig.source, verifyTimeout: '2s', timeout: '5s' },
    });
    const issuer = await issuerFrom(plan, rig.env);
    return {
      issuer,
      cleanup: async () => {
        expect(rig.keys().find((k) => k.id === foreign!.id), 'the foreign key is untouched').toEqual(foreign);
        expect(rig.server.violations).toEqual([]);
        await rig.close();
        ws.cleanup();
      },
    };
  });
}
