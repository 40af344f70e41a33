// The openai preset end to end through the built binary against the OpenAI test server (checked
// against OpenAI's published description): the shared scenarios. One service account per key:
// deleting the account deletes its key; last use comes from the project's key list.
import { expect, it } from 'vitest';
import type { OpenAiTestServer } from '../peers/vendors/openai.js';
import { vendorPresetSuite, text } from './vendor-preset-suite.js';

vendorPresetSuite('openai', {
  planCalls: ['OpenAI: GET /organization/projects/<projectId>/service_accounts', 'OpenAI: POST /organization/projects/<projectId>/service_accounts', 'OpenAI: GET /models with the new key', 'OpenAI: DELETE /organization/projects/<projectId>/service_accounts/{{keyId}}', 'OpenAI: GET /organization/projects/<projectId>/api_keys (the record whose $.owner.service_account.id is the key id'],
  doctor: ['admin credential from $OPENAI_ADMIN_KEY', 'not checked', 'an Admin API key'],
  lastUse: true,
  vendorLimit: false,
  longList: { seed: 499, pages: 5, total: 500 }, // the Admin key is not a service account
}, (t) => {
  it('a rotation leaves one service account and one key of keyrot\'s: the old account went with its key', async () => {
    const server = t().rig.server as unknown as OpenAiTestServer;
    t().rig.shiftClock(-3_600_000);
    expect((await t().run(['run', 'vendor.yaml'])).code).toBe(0);
    t().rig.shiftClock(0);
    const rotated = await t().run(['run', '--yes', 'vendor.yaml']);
    expect(rotated.code, text(rotated)).toBe(0);
    const ours = server.serviceAccounts().filter((a) => a.name.startsWith('keyrot-vendor-'));
    expect(ours.map((a) => a.id)).toEqual([t().current().keyId]);
    expect(server.keys().filter((k) => k.serviceAccountId === ours[0]!.id)).toHaveLength(1);
    expect(server.keys().filter((k) => !server.serviceAccounts().some((a) => a.id === k.serviceAccountId))).toEqual([]);
  });
});
