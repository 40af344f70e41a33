// Twilio API keys (2010-04-01 Keys). The key id is its SID (SK…), the secret is in the create answer
// only; a key made through the API is a Standard key. Only the account's auth token or a Main key may
// use the Keys resource, and a Standard key may not fetch the Account (401), so verify reads the
// Balance with the new key instead. Bodies are forms; the list is followed by next_page_uri.
import type { Preset } from './preset.js';

const account = '/2010-04-01/Accounts/{{accountSid}}';

export const twilio: Preset = {
  name: 'twilio',
  vendor: 'Twilio',
  summary: 'a Twilio API key (Standard) of one account',
  docs: 'https://www.twilio.com/docs/iam/api/keys',
  values: {
    accountSid: { describe: 'the account (AC…) whose keys are rotated', example: 'ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' },
  },
  permissions: [
    'the account\'s Account SID and auth token, or a Main API key (made in the Console): Standard and Restricted keys may not manage keys',
  ],
  source: {
    maxKeys: 2,
    calls: {
      create: {
        method: 'POST',
        path: `${account}/Keys.json`,
        encoding: 'form',
        body: { FriendlyName: '{{name}}' },
        idPath: '$.sid',
        secretPath: '$.secret',
        createdPath: '$.date_created',
      },
      list: {
        method: 'GET',
        path: `${account}/Keys.json`,
        itemsPath: '$.keys',
        idPath: '$.sid',
        namePath: '$.friendly_name',
        createdPath: '$.date_created',
        paging: { style: 'next-link', nextPath: '$.next_page_uri', sizeParam: 'PageSize', size: 100 },
      },
      delete: { method: 'DELETE', path: `${account}/Keys/{{keyId}}.json` },
      verify: { method: 'GET', path: `${account}/Balance.json`, auth: { type: 'basic', username: '{{keyId}}' } },
      doctor: [
        {
          check: 'permissions', method: 'GET', path: `${account}/Keys.json`, query: { PageSize: 1 },
          proves: 'the credential may use the Keys resource, which only the auth token or a Main key may (and either may create and delete keys)',
        },
      ],
    },
  },
  example: {
    baseUrl: 'https://api.twilio.com',
    auth: { type: 'basic', usernameEnv: 'TWILIO_ACCOUNT_SID', passwordEnv: 'TWILIO_AUTH_TOKEN' },
  },
};
