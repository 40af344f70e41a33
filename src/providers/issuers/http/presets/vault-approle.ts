// HashiCorp Vault / OpenBao AppRole secret_id: a credential a machine logs in with (role_id +
// secret_id). The accessor is the key id: it lists, looks up and destroys a secret_id without
// ever handling the secret itself. keyrot's secret_ids carry its plan in their metadata.
import type { Preset } from './preset.js';

const role = '/v1/auth/{{mount}}/role/{{role}}';
/** The paths the admin token needs capabilities on, as Vault's policies name them. */
const PATHS = ['secret-id', 'secret-id-accessor/lookup', 'secret-id-accessor/destroy'].map((p) => `auth/{{mount}}/role/{{role}}/${p}`);

export const vaultApprole: Preset = {
  name: 'vault-approle',
  vendor: 'Vault AppRole',
  summary: 'AppRole secret_id of one role (HashiCorp Vault or OpenBao)',
  docs: 'https://developer.hashicorp.com/vault/api-docs/auth/approle',
  values: {
    mount: { describe: 'where the AppRole auth method is mounted', example: 'approle', default: 'approle' },
    role: { describe: 'the AppRole role whose secret_id is rotated', example: 'payments' },
    roleId: { describe: 'the role\'s role_id (not secret on its own), for verify\'s login', example: '6d1c0d5e-2f7c-4b3a-9e0f-1a2b3c4d5e6f' },
  },
  permissions: [
    'path "auth/{{mount}}/role/{{role}}/secret-id" { capabilities = ["update", "list"] }',
    'path "auth/{{mount}}/role/{{role}}/secret-id-accessor/lookup" { capabilities = ["update"] }',
    'path "auth/{{mount}}/role/{{role}}/secret-id-accessor/destroy" { capabilities = ["update"] }',
    '(verify logs in at auth/{{mount}}/login, which needs no token)',
  ],
  source: {
    maxKeys: 2,
    forbiddenMeans: 'bad-credential-or-no-permission', // Vault answers an invalid or expired token 403, as it does a missing capability
    keyName: 'keyrot-{{plan}}-{{now}}',
    marker: { path: '$.data.metadata.keyrot_plan', equals: '{{plan}}' },
    calls: {
      create: {
        method: 'POST',
        path: `${role}/secret-id`,
        // Vault takes metadata as a JSON object written as a string.
        body: { metadata: '{"keyrot_plan":"{{plan}}","keyrot_name":"{{name}}"}' },
        idPath: '$.data.secret_id_accessor',
        secretPath: '$.data.secret_id',
      },
      list: {
        method: 'LIST',
        path: `${role}/secret-id`,
        itemsPath: '$.data.keys',
        idPath: '$',
        emptyOn: [404],
        detail: { method: 'POST', path: `${role}/secret-id-accessor/lookup`, body: { secret_id_accessor: '{{keyId}}' } },
        namePath: '$.data.metadata.keyrot_name',
        createdPath: '$.data.creation_time',
      },
      delete: {
        method: 'POST',
        path: `${role}/secret-id-accessor/destroy`,
        body: { secret_id_accessor: '{{keyId}}' },
        listFirst: true, // destroying an accessor that is gone answers 500 ("failed to find accessor entry")
      },
      verify: {
        method: 'POST',
        path: '/v1/auth/{{mount}}/login',
        body: { role_id: '{{roleId}}', secret_id: '{{secret}}' },
        auth: { type: 'none' },
      },
      doctor: [
        {
          check: 'permissions',
          method: 'POST',
          path: '/v1/sys/capabilities-self',
          body: { paths: [...PATHS] },
          proves: 'the token holds every capability the preset needs (sys/capabilities-self)',
          expect: [
            { path: `$.data['${PATHS[0]}']`, includes: ['update', 'list'], orOneOf: ['root'] },
            { path: `$.data['${PATHS[1]}']`, includes: ['update'], orOneOf: ['root'] },
            { path: `$.data['${PATHS[2]}']`, includes: ['update'], orOneOf: ['root'] },
          ],
        },
      ],
    },
  },
  example: { baseUrl: 'https://vault.example.internal:8200', auth: { type: 'headers', headersFromEnv: { 'X-Vault-Token': 'VAULT_TOKEN' } } },
};
