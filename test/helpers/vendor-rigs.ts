// One vendor test server (test/peers/vendors/) with what a preset's tests need of it, the same for
// every vendor: the plan's source for the preset, the admin credential as environment variables,
// the keys there now, foreign keys seeded beside keyrot's, faults, the vendor's clock and limit.
import type { PresetName } from '../../src/providers/issuers/http/presets/index.js';
import { startCloudflareServer } from '../peers/vendors/cloudflare.js';
import { startDatadogServer } from '../peers/vendors/datadog.js';
import type { VendorServer } from '../peers/vendors/kit.js';
import { startOpenAiServer } from '../peers/vendors/openai.js';
import { startSendGridServer } from '../peers/vendors/sendgrid.js';
import { startTwilioServer } from '../peers/vendors/twilio.js';

export interface VendorKey {
  id: string;
  name: string;
  secret: string;
  /** Cloudflare's status; every other vendor's key is active while it exists. */
  status: string;
}

export interface VendorRig {
  preset: Exclude<PresetName, 'vault-approle'>;
  vendor: string;
  server: VendorServer;
  /** The plan's source: preset, base URL, admin credential (by variable) and values. */
  source: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  /** The operationIds of the create and list calls, for faults and request counts. */
  ops: { create: string; list: string };
  /** Every key there now, keyrot's or not. */
  keys(): VendorKey[];
  /** Keys that are not keyrot's (named someone-else-NNN), as a person or another tool made them. */
  seedForeign(count: number): VendorKey[];
  /** A key carrying this plan's marker, made by hand (not in keyrot's records). */
  seedOurs(plan: string): VendorKey;
  /** The vendor's clock runs this far from now (ms): a use then looks that old. */
  shiftClock(ms: number): void;
  /** Where the vendor reports last use (Datadog, Cloudflare, OpenAI). */
  reportsLastUse: boolean;
  /** The vendor's own key limit (every key of the account counts), where it documents one. */
  vendorMax?: number;
  /** The test server's limit, moved (a long list needs more keys than the vendor allows). */
  setVendorLimit?(count: number): void;
  /** The admin credential stops working: the status the vendor answers then. */
  revokeAdmin(): number;
  /** The admin credential loses what the preset needs (where the vendor scopes it): 403. */
  restrictAdmin?(): void;
  /** Secrets of the admin credential, for leak scans. */
  adminSecrets: string[];
  close(): Promise<void>;
}

const FOREIGN = 'someone-else';

export async function startRig(preset: VendorRig['preset']): Promise<VendorRig> {
  return RIGS[preset]();
}

const RIGS: Record<VendorRig['preset'], () => Promise<VendorRig>> = {
  async datadog() {
    const s = await startDatadogServer();
    const keys = () => s.keys().map((k) => ({ id: k.id, name: k.name, secret: k.key, status: 'active' }));
    const named = (list: { id: string }[]) => keys().filter((k) => list.some((l) => l.id === k.id));
    return {
      preset: 'datadog', vendor: 'Datadog', server: s, reportsLastUse: true,
      source: { type: 'http', preset: 'datadog', baseUrl: s.baseUrl, auth: { type: 'headers', headersFromEnv: { 'DD-API-KEY': 'DD_API_KEY', 'DD-APPLICATION-KEY': 'DD_APP_KEY' } } },
      env: { DD_API_KEY: s.admin.apiKey, DD_APP_KEY: s.admin.appKey },
      ops: { create: 'CreateAPIKey', list: 'ListAPIKeys' },
      keys,
      seedForeign: (n) => named(s.seed(n, FOREIGN)),
      seedOurs: (plan) => named(s.seed(1, `keyrot-${plan}-by-hand`))[0]!,
      shiftClock: (ms) => void (s.config.now = () => Date.now() + ms),
      vendorMax: 50,
      setVendorLimit: (n) => void (s.config.maxKeys = n),
      revokeAdmin: () => (s.revokeAdmin(), 403),
      restrictAdmin: () => s.restrictAdmin(['api_keys_read']),
      adminSecrets: [s.admin.apiKey, s.admin.appKey],
      close: () => s.close(),
    };
  },

  async twilio() {
    const s = await startTwilioServer();
    const keys = () => s.keys().map((k) => ({ id: k.sid, name: k.friendlyName, secret: k.secret, status: 'active' }));
    const named = (list: { sid: string }[]) => keys().filter((k) => list.some((l) => l.sid === k.id));
    return {
      preset: 'twilio', vendor: 'Twilio', server: s, reportsLastUse: false,
      source: { type: 'http', preset: 'twilio', baseUrl: s.baseUrl, auth: { type: 'basic', username: s.admin.accountSid, passwordEnv: 'TWILIO_AUTH_TOKEN' }, values: { accountSid: s.admin.accountSid } },
      env: { TWILIO_AUTH_TOKEN: s.admin.authToken },
      ops: { create: 'CreateNewKey', list: 'ListKey' },
      keys,
      seedForeign: (n) => named(s.seed(n, FOREIGN)),
      seedOurs: (plan) => named(s.seed(1, `keyrot-${plan}-by-hand`))[0]!,
      shiftClock: (ms) => void (s.config.now = () => Date.now() + ms),
      revokeAdmin: () => (s.revokeAdmin(), 401),
      adminSecrets: [s.admin.authToken, s.admin.mainKey.secret],
      close: () => s.close(),
    };
  },

  async sendgrid() {
    const s = await startSendGridServer();
    const keys = () => s.keys().map((k) => ({ id: k.id, name: k.name, secret: k.secret, status: 'active' }));
    const named = (list: { id: string }[]) => keys().filter((k) => list.some((l) => l.id === k.id));
    return {
      preset: 'sendgrid', vendor: 'SendGrid', server: s, reportsLastUse: false,
      source: { type: 'http', preset: 'sendgrid', baseUrl: s.baseUrl, auth: { type: 'bearer', tokenEnv: 'SENDGRID_API_KEY' }, values: { scopes: ['mail.send'] } },
      env: { SENDGRID_API_KEY: s.admin.apiKey },
      ops: { create: 'CreateApiKey', list: 'ListApiKey' },
      keys,
      seedForeign: (n) => named(s.seed(n, FOREIGN)),
      seedOurs: (plan) => named(s.seed(1, `keyrot-${plan}-by-hand`))[0]!,
      shiftClock: (ms) => void (s.config.now = () => Date.now() + ms),
      vendorMax: 100,
      setVendorLimit: (n) => void (s.config.maxKeys = n),
      revokeAdmin: () => (s.revokeAdmin(), 401),
      restrictAdmin: () => s.restrictAdmin(['api_keys.read']),
      adminSecrets: [s.admin.apiKey],
      close: () => s.close(),
    };
  },

  async cloudflare() {
    const s = await startCloudflareServer();
    const keys = () => s.tokens().map((t) => ({ id: t.id, name: t.name, secret: t.value, status: t.status }));
    const named = (list: { id: string }[]) => keys().filter((k) => list.some((l) => l.id === k.id));
    const policies = [{ effect: 'allow', resources: { 'com.cloudflare.api.account.zone.0123456789abcdef0123456789abcdef': '*' }, permission_groups: [{ id: s.permissionGroups['DNS Write'] }] }];
    return {
      preset: 'cloudflare', vendor: 'Cloudflare', server: s, reportsLastUse: true,
      source: { type: 'http', preset: 'cloudflare', baseUrl: s.baseUrl, auth: { type: 'bearer', tokenEnv: 'CLOUDFLARE_API_TOKEN' }, values: { policies } },
      env: { CLOUDFLARE_API_TOKEN: s.admin.token },
      ops: { create: 'user-api-tokens-create-token', list: 'user-api-tokens-list-tokens' },
      keys,
      seedForeign: (n) => named(s.seed(n, FOREIGN)),
      seedOurs: (plan) => named(s.seed(1, `keyrot-${plan}-by-hand`))[0]!,
      shiftClock: (ms) => void (s.config.now = () => Date.now() + ms),
      vendorMax: 50,
      setVendorLimit: (n) => void (s.config.maxTokens = n),
      revokeAdmin: () => (s.revokeAdmin(), 401),
      restrictAdmin: () => s.restrictAdmin(['API Tokens Read']),
      adminSecrets: [s.admin.token],
      close: () => s.close(),
    };
  },

  async openai() {
    const s = await startOpenAiServer();
    // The key keyrot rotates is the service account (its id); its secret is the account's key.
    const keys = () => s.serviceAccounts().map((a) => ({ id: a.id, name: a.name, secret: s.keys().find((k) => k.serviceAccountId === a.id)?.value ?? '', status: 'active' }));
    const named = (list: { serviceAccount: { id: string } }[]) => keys().filter((k) => list.some((l) => l.serviceAccount.id === k.id));
    return {
      preset: 'openai', vendor: 'OpenAI', server: s, reportsLastUse: true,
      source: { type: 'http', preset: 'openai', baseUrl: s.baseUrl, auth: { type: 'bearer', tokenEnv: 'OPENAI_ADMIN_KEY' }, values: { projectId: s.admin.projectId } },
      env: { OPENAI_ADMIN_KEY: s.admin.apiKey },
      ops: { create: 'create-project-service-account', list: 'list-project-service-accounts' },
      keys,
      seedForeign: (n) => named(s.seed(n, FOREIGN)),
      seedOurs: (plan) => named(s.seed(1, `keyrot-${plan}-by-hand`))[0]!,
      shiftClock: (ms) => void (s.config.now = () => Date.now() + ms),
      revokeAdmin: () => (s.revokeAdmin(), 401),
      adminSecrets: [s.admin.apiKey],
      close: () => s.close(),
    };
  },
};
