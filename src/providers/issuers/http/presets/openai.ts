// OpenAI project service-account keys. A service account's key cannot be deleted on its own, only
// with its account, so keyrot makes one service account per key: the account's id is the key id,
// and deleting it deletes the key. The secret (api_key.value) is in the create answer only. Last
// use is on the project's key list (last_used_at), keyed by the owning service account.
import type { Preset } from './preset.js';

const project = '/organization/projects/{{projectId}}';
const page = { style: 'cursor', param: 'after', cursorPath: '$.last_id', morePath: '$.has_more', sizeParam: 'limit', size: 100 } as const;

export const openai: Preset = {
  name: 'openai',
  vendor: 'OpenAI',
  summary: 'an OpenAI project service-account key (one service account per key)',
  docs: 'https://platform.openai.com/docs/api-reference/project-service-accounts',
  values: {
    projectId: { describe: 'the project (proj_…) whose service-account key is rotated', example: 'proj_abc123' },
  },
  permissions: [
    'an Admin API key of the organization (made by an organization owner; OpenAI offers nothing narrower)',
  ],
  source: {
    maxKeys: 2,
    calls: {
      create: {
        method: 'POST',
        path: `${project}/service_accounts`,
        body: { name: '{{name}}' },
        idPath: '$.id',
        secretPath: '$.api_key.value',
        createdPath: '$.created_at',
      },
      list: {
        method: 'GET',
        path: `${project}/service_accounts`,
        itemsPath: '$.data',
        idPath: '$.id',
        namePath: '$.name',
        createdPath: '$.created_at',
        paging: page,
      },
      delete: { method: 'DELETE', path: `${project}/service_accounts/{{keyId}}` },
      verify: { method: 'GET', path: '/models', auth: { type: 'bearer' } },
      lastUsed: {
        method: 'GET',
        path: `${project}/api_keys`,
        itemsPath: '$.data',
        idPath: '$.owner.service_account.id',
        atPath: '$.last_used_at',
        paging: page,
      },
    },
  },
  example: { baseUrl: 'https://api.openai.com/v1', auth: { type: 'bearer', tokenEnv: 'OPENAI_ADMIN_KEY' } },
};
