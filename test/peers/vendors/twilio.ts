// A Twilio test server: API keys of the 2010-04-01 REST API (the Key and NewKey resources), the
// Account and its Balance, checked against Twilio's published description (specs/twilio-api-v2010.json).
//
// What it reproduces, and where each fact comes from (SPEC = the extract; DOCS = twilio.com/docs;
// ISSUE = a maintainer's answer in a public issue):
// - HTTP basic auth with the Account SID and auth token, or an API key's SID and secret (SPEC security;
//   DOCS, API keys). Keys made through this API are Standard keys; a Main key is made in the Console only.
//   A Standard key may not use the Account or Keys resources (DOCS, "Types of keys"): fetching the
//   Account with one answers 401, error 20003 "Authenticate" (ISSUE twilio/twilio-python#259); this
//   server answers the Keys resources the same way. So the call that proves a new Standard key works is
//   another resource: this server offers the Balance (FetchBalance).
// - Bodies are forms (FriendlyName), answers JSON; the secret is in the NewKey answer only (SPEC).
// - Lists: PageSize (1-1000, default 50), Page (client state only), PageToken; next_page_uri and
//   previous_page_uri are relative URIs that carry the PageToken, null at either end (SPEC examples).
//   A client must follow next_page_uri: Page alone does not move. Order: newest first (not documented).
// - Errors: {code, message, more_info, status} (DOCS, "Twilio's response": the description documents
//   no error answer); 20003 for authentication, 20404 for a missing resource, 20429 for 429 (DOCS,
//   error 20429). Twilio documents no wait hint on 429; a test may still ask for Retry-After.
// - No last-use report, no disable: a key is only deleted (SPEC: the Key resource has no such field).
import { alnum, hex } from './ids.js';
import { type Answer, type Call, startVendorServer, type VendorServer } from './kit.js';
import { OpenApiSpec } from './openapi.js';

export interface TwilioKey {
  sid: string;
  secret: string;
  friendlyName: string;
  kind: 'main' | 'standard';
  createdAt: number;
}

export interface TwilioTestServer extends VendorServer {
  /** The API base URL (https://api.twilio.com in production). */
  readonly baseUrl: string;
  /** The account's credentials: its SID and auth token, and a Main key (either may manage keys). */
  readonly admin: { accountSid: string; authToken: string; mainKey: { sid: string; secret: string } };
  /** Change freely: the clock (ms) date_created reads. */
  readonly config: { now: () => number };
  keys(): TwilioKey[];
  seed(count: number, namePrefix?: string): TwilioKey[];
  /** The auth token is rotated and the Main key deleted: every call with them answers 401. */
  revokeAdmin(): void;
}

const ERROR_SHAPE = {
  type: 'object',
  required: ['code', 'message', 'more_info', 'status'],
  properties: { code: { type: 'integer' }, message: { type: 'string' }, more_info: { type: 'string', format: 'uri' }, status: { type: 'integer' } },
};
const ACCOUNT_AND_KEYS = new Set(['FetchAccount', 'ListKey', 'CreateNewKey', 'FetchKey', 'DeleteKey']);

const error = (status: number, code: number, message: string, headers?: Record<string, string>): Answer => ({
  status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, ...(headers ? { headers } : {}),
});
const unauthenticated = () => error(401, 20003, 'Authenticate', { 'www-authenticate': 'Basic realm="Twilio API"' });
const rfc2822 = (ms: number) => new Date(ms).toUTCString().replace('GMT', '+0000');

export async function startTwilioServer(): Promise<TwilioTestServer> {
  const accountSid = `AC${hex(32)}`;
  let authToken = hex(32);
  const keys = new Map<string, TwilioKey>();
  const config = { now: () => Date.now() };
  const createdAt = config.now();

  const addKey = (friendlyName: string, kind: TwilioKey['kind'] = 'standard'): TwilioKey => {
    const key: TwilioKey = { sid: `SK${hex(32)}`, secret: alnum(32), friendlyName, kind, createdAt: config.now() };
    keys.set(key.sid, key);
    return key;
  };
  const mainKey = addKey('org main key', 'main');
  const keysUri = `/2010-04-01/Accounts/${accountSid}/Keys.json`;

  /** Newest first; the SID breaks ties, so a PageToken names a place. */
  const ordered = () => [...keys.values()].sort((a, b) => b.createdAt - a.createdAt || (a.sid < b.sid ? -1 : 1));
  const view = (k: TwilioKey) => ({ sid: k.sid, friendly_name: k.friendlyName, date_created: rfc2822(k.createdAt), date_updated: rfc2822(k.createdAt) });
  const notFound = (call: Call) => error(404, 20404, `The requested resource ${call.url.pathname} was not found`);

  function list(call: Call): Answer {
    const size = Number(call.query.get('PageSize') ?? 50);
    const page = Number(call.query.get('Page') ?? 0);
    const token = call.query.get('PageToken');
    const all = ordered();
    let from = 0;
    if (token) {
      const at = all.findIndex((k) => k.sid === token.slice(2));
      if (!/^P[AB]SK/.test(token) || at < 0) return error(400, 20001, 'Invalid PageToken');
      from = token.startsWith('PA') ? at + 1 : Math.max(0, at - size); // PA: after that key; PB: the page before it
    }
    const items = all.slice(from, from + size);
    const link = (p: number, t?: string) => `${keysUri}?PageSize=${size}&Page=${p}${t ? `&PageToken=${t}` : ''}`;
    return {
      status: 200,
      body: {
        keys: items.map(view),
        page, page_size: size, start: page * size, end: page * size + Math.max(0, items.length - 1),
        uri: link(page, token ?? undefined), first_page_uri: link(0),
        next_page_uri: from + size < all.length && items.length > 0 ? link(page + 1, `PA${items.at(-1)!.sid}`) : null,
        previous_page_uri: from > 0 && items.length > 0 ? link(Math.max(0, page - 1), `PB${items[0]!.sid}`) : null,
      },
    };
  }

  const handlers = {
    ListKey: list,
    CreateNewKey(call: Call): Answer {
      const friendlyName = (call.body as { FriendlyName?: string } | undefined)?.FriendlyName ?? '';
      if (friendlyName.length > 64) return error(400, 20001, 'FriendlyName must be at most 64 characters');
      const k = addKey(friendlyName);
      return { status: 201, body: { ...view(k), secret: k.secret } };
    },
    FetchKey(call: Call): Answer {
      const k = keys.get(call.pathParams.Sid!);
      return k ? { status: 200, body: view(k) } : notFound(call);
    },
    DeleteKey(call: Call): Answer {
      return keys.delete(call.pathParams.Sid!) ? { status: 204 } : notFound(call);
    },
    FetchAccount: (): Answer => ({
      status: 200,
      body: {
        auth_token: authToken, date_created: rfc2822(createdAt), date_updated: rfc2822(createdAt), friendly_name: 'keyrot test account',
        owner_account_sid: accountSid, sid: accountSid, status: 'active', type: 'Full', uri: `/2010-04-01/Accounts/${accountSid}.json`,
        subresource_uris: { keys: keysUri, balance: `/2010-04-01/Accounts/${accountSid}/Balance.json` },
      },
    }),
    FetchBalance: (): Answer => ({ status: 200, body: { account_sid: accountSid, balance: '20.00', currency: 'USD' } }),
  };

  const server = await startVendorServer({
    vendor: 'Twilio',
    specs: [new OpenApiSpec('twilio-api-v2010.json')],
    handlers,
    authenticate(call) {
      const [user, password] = Buffer.from(/^Basic (.+)$/i.exec(String(call.headers.authorization ?? ''))?.[1] ?? '', 'base64').toString('utf8').split(':');
      const key = keys.get(user ?? '');
      const asAccount = user === accountSid && password === authToken;
      const asKey = key !== undefined && key.secret === password;
      if (!asAccount && !asKey) return unauthenticated();
      if (!asAccount && key?.kind === 'standard' && ACCOUNT_AND_KEYS.has(call.operation.id)) return unauthenticated();
      const pathAccount = call.pathParams.AccountSid ?? call.pathParams.Sid;
      return pathAccount === accountSid ? undefined : unauthenticated();
    },
    invalid: (status, problems) => (status === 404 ? error(404, 20404, 'The requested resource was not found') : error(400, 20001, problems.join('; '))),
    rateLimited: (seconds) => error(429, 20429, 'Too Many Requests', seconds === undefined ? undefined : { 'retry-after': String(seconds) }),
    serverError: (status) => error(status, 20500, 'Internal Server Error'),
    errorShape: () => ERROR_SHAPE,
  });

  return Object.assign(server, {
    baseUrl: server.origin,
    admin: { accountSid, authToken, mainKey: { sid: mainKey.sid, secret: mainKey.secret } },
    config,
    keys: () => ordered().map((k) => ({ ...k })),
    seed: (count: number, namePrefix = 'seeded') => Array.from({ length: count }, (_, i) => ({ ...addKey(`${namePrefix}-${String(i + 1).padStart(3, '0')}`) })),
    revokeAdmin() {
      authToken = hex(32);
      keys.delete(mainKey.sid);
    },
  });
}
