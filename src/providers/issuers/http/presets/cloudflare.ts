// Cloudflare user API tokens. The token id is the key id; the secret (result.value) is in the create
// answer only. Cloudflare can switch a token off: its status, set by PUT, which replaces the whole
// token, so keyrot sends back the token as listed just before (name, policies and the optional
// condition and dates) with the new status. The verify call answers 200 for a disabled token too:
// result.status must say active. last_used_on is the last-use report.
import type { Preset } from './preset.js';

const token = '/user/tokens/{{keyId}}';
/** The token as it is, with a new status: PUT is a full replace. */
const sameTokenWith = (status: 'active' | 'disabled') => ({
  name: '{{item.name}}', policies: '{{item.policies}}', status,
  condition: '{{item.condition?}}', expires_on: '{{item.expires_on?}}', not_before: '{{item.not_before?}}',
});

export const cloudflare: Preset = {
  name: 'cloudflare',
  vendor: 'Cloudflare',
  summary: 'a Cloudflare user API token with the policies the plan names',
  docs: 'https://developers.cloudflare.com/api/resources/user/subresources/tokens/',
  values: {
    policies: {
      describe: 'the new token\'s policies (least privilege), as Cloudflare takes them',
      example: [{ effect: 'allow', resources: { 'com.cloudflare.api.account.zone.<zone id>': '*' }, permission_groups: [{ id: '<DNS Write group id>' }] }],
    },
  },
  permissions: [
    'a user API token with the permission group "API Tokens Write" (User scope)',
  ],
  source: {
    maxKeys: 2,
    calls: {
      create: {
        method: 'POST',
        path: '/user/tokens',
        body: { name: '{{name}}', policies: '{{policies}}' },
        idPath: '$.result.id',
        secretPath: '$.result.value',
        createdPath: '$.result.issued_on',
        vendorLimit: { on: [400], max: 50, says: 'Cloudflare allows 50 API tokens a user' },
      },
      list: {
        method: 'GET',
        path: '/user/tokens',
        itemsPath: '$.result',
        idPath: '$.id',
        namePath: '$.name',
        createdPath: '$.issued_on',
        lastUsedPath: '$.last_used_on',
        status: { path: '$.status', active: ['active'] },
        paging: { style: 'page', pageParam: 'page', sizeParam: 'per_page', size: 50, first: 1, totalItemsPath: '$.result_info.total_count' },
      },
      deactivate: { method: 'PUT', path: token, body: sameTokenWith('disabled') },
      reactivate: { method: 'PUT', path: token, body: sameTokenWith('active') },
      delete: { method: 'DELETE', path: token },
      verify: { method: 'GET', path: '/user/tokens/verify', auth: { type: 'bearer' }, expect: { path: '$.result.status', equals: ['active'] } },
      doctor: [
        {
          check: 'credentials', method: 'GET', path: '/user/tokens/verify', capture: { adminTokenId: '$.result.id' },
          proves: 'Cloudflare accepts the admin token, and it is active', expect: [{ path: '$.result.status', includes: ['active'] }],
        },
        {
          check: 'permissions', method: 'GET', path: '/user/tokens/{{found.adminTokenId}}',
          proves: 'the admin token holds "API Tokens Write"',
          expect: [{ path: '$.result.policies[?@.effect==\'allow\'].permission_groups[*].name', includes: ['API Tokens Write'] }],
        },
      ],
    },
  },
  example: { baseUrl: 'https://api.cloudflare.com/client/v4', auth: { type: 'bearer', tokenEnv: 'CLOUDFLARE_API_TOKEN' } },
};
