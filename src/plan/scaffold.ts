// keyrot init: a plan to start from, for one issuer and its stores, with safe defaults and, as
// comments, the permissions its phases will need. What it writes validates as it stands.
import { alignComments } from './align-comments.js';
import { KeyrotError } from '../errors.js';
import { IAM_ACTIONS } from '../providers/issuers/aws-iam/policy.js';
import { DATABASE_ISSUERS, databaseSource, type DatabaseIssuer } from '../providers/issuers/database/scaffold.js';
import { type StoreConfig, storeTraits } from '../providers/registry.js';
import { PRESET_LIST, presetSource } from '../providers/issuers/http/presets/scaffold.js';

export { PRESET_LIST };
import { policyHcl, vaultPolicy } from '../providers/stores/vault-kv2/policy.js';
import { gitlabSection } from './scaffold-gitlab.js';
import { SCAFFOLD_STORES, STORE_FORMS } from './store-forms.js';

export { SCAFFOLD_STORES, STORE_FORMS };

export const SCAFFOLD_ISSUERS = ['aws-iam', 'generated', 'http', ...DATABASE_ISSUERS] as const;
export type ScaffoldIssuer = (typeof SCAFFOLD_ISSUERS)[number];

export interface ScaffoldOptions {
  issuer: ScaffoldIssuer;
  /** aws-iam: the IAM user; postgresql and mysql: the name of the pair (NAME_blue, NAME_green); redis: the ACL user. */
  user?: string;
  /** http: the vendor preset. */
  preset?: string;
  /** AWS region, for aws-iam, aws-secrets-manager and aws-ssm (default us-east-1). */
  region?: string;
  name?: string;
  /** TYPE:WHERE, e.g. vault-kv2:secret/payments/aws (see STORE_FORMS). */
  stores: string[];
  maxAge?: string;
  /** Where the plan's schema is, as the editor comment names it. */
  schemaPath: string;
}


const usage = (problem: string) => new KeyrotError('usage', { problem });
/** A YAML scalar: plain when it cannot be read as anything but that string, else JSON's double-quoted form (valid YAML). */
const q = (v: string) => (/^[A-Za-z][\w./@-]*$/.test(v) && !/^(true|false|yes|no|on|off|null)$/i.test(v) ? v : JSON.stringify(v));

interface Section {
  lines: string[];
  permissions: string[];
}

/** `idTemplate`: what the id field holds (default {{keyId}}; a database login: {{username}}). */
function storeSection(spec: string, o: ScaffoldOptions, fields: { id: string; secret: string; idTemplate?: string }, region: string): Section {
  const colon = spec.indexOf(':');
  const type = colon > 0 ? spec.slice(0, colon) : spec;
  const where = colon > 0 ? spec.slice(colon + 1) : '';
  const form = STORE_FORMS[type as keyof typeof STORE_FORMS];
  if (!form) throw usage(`unknown store "${type}" in --store ${spec}: one of ${SCAFFOLD_STORES.join(', ')}`);
  if (!where) throw usage(`--store ${spec}: say where, as ${form}`);
  const data = `{ ${fields.id}: "${fields.idTemplate ?? '{{keyId}}'}", ${fields.secret}: "{{secret}}" }`;
  switch (type) {
    case 'file':
      return { lines: ['  - type: file', `    path: ${q(where)}                # JSON, mode 0600: consumers accept "current" and, during the overlap, "previous"`], permissions: [] };
    case 'vault-kv2': {
      const [mount, ...rest] = where.split('/');
      if (!mount || rest.length === 0 || rest.some((p) => !p)) throw usage(`--store ${spec}: ${form}`);
      const path = rest.join('/');
      return {
        lines: [
          '  - type: vault-kv2',
          `    mount: ${q(mount)}`,
          `    path: ${q(path)}            # address and token from VAULT_ADDR and VAULT_TOKEN (or ~/.vault-token)`,
          `    data: ${data}`,
          '    # auth: { method: kubernetes, role: ROLE }   # in a pod, instead of a token',
        ],
        permissions: [
          `Vault (${mount}/${path}): the token's policy, plus Vault's "default" policy (auth/token/lookup-self):`,
          ...policyHcl(vaultPolicy(mount, path)).map((l) => `  ${l}`),
        ],
      };
    }
    case 'azure-keyvault': {
      const url = /^(https:\/\/[^/]+)\/([0-9A-Za-z-]{1,127})$/.exec(where);
      if (!url) throw usage(`--store ${spec}: ${form}`);
      return {
        lines: [
          '  - type: azure-keyvault',
          `    vaultUrl: ${q(url[1]!)}   # credentials from DefaultAzureCredential`,
          `    name: ${q(url[2]!)}`,
          '    value: "{{secret}}"',
          '    tags: { keyId: "{{keyId}}" }',
        ],
        permissions: [`Azure Key Vault (${url[1]}): secrets get, list, set (role "Key Vault Secrets Officer" on the vault)`],
      };
    }
    case 'aws-ssm':
      return {
        lines: ['  - type: aws-ssm', `    region: ${q(region)}`, `    name: ${q(where)}   # a SecureString, created if missing; credentials from the AWS default chain`, `    data: ${data}`, '    # kmsKeyId: alias/payments   # default: the AWS managed key alias/aws/ssm'],
        permissions: [
          `AWS SSM (arn:aws:ssm:${region}:ACCOUNT_ID:parameter${where.startsWith('/') ? '' : '/'}${where}): ssm:GetParameter, GetParameterHistory, PutParameter,`,
          '  AddTagsToResource, ListTagsForResource, LabelParameterVersion, UnlabelParameterVersion; kms:Encrypt, kms:Decrypt on its key',
        ],
      };
    case 'github-actions':
      return githubSection(spec, where, o.stores.some((other) => other !== spec && keeps(other)));
    case 'gitlab-ci': {
      const section = gitlabSection(where, o.stores.some((other) => other !== spec && keeps(other)));
      if (!section) throw usage(`--store ${spec}: ${form}`);
      return section;
    }
    default: // aws-secrets-manager
      return {
        lines: ['  - type: aws-secrets-manager', `    region: ${q(region)}`, `    secretId: ${q(where)}   # created if missing; credentials from the AWS default chain`, `    data: ${data}`],
        permissions: [
          `AWS Secrets Manager (${where}): secretsmanager:DescribeSecret, GetSecretValue, CreateSecret, PutSecretValue,`,
          '  UpdateSecretVersionStage, TagResource on that secret',
        ],
      };
  }
}

const keeps = (spec: string) => storeTraits(spec.split(':')[0] as StoreConfig['type']).keepsRetired === true;

function githubSection(spec: string, where: string, kept: boolean): Section {
  const org = /^org:([A-Za-z0-9-]+)\/([A-Za-z_][A-Za-z0-9_]*)$/.exec(where);
  const repo = /^([A-Za-z0-9-]+\/[A-Za-z0-9._-]+)(?:\/([^/]+))?\/([A-Za-z_][A-Za-z0-9_]*)$/.exec(where);
  if (!org && !repo) throw usage(`--store ${spec}: ${STORE_FORMS['github-actions']}`);
  const at = org ? [`    organization: ${q(org[1]!)}`] : [`    repository: ${q(repo![1]!)}`, ...(repo![2] ? [`    environment: ${q(repo![2])}`] : [])];
  return {
    lines: [
      '  - type: github-actions      # write-only: keyrot records what it wrote in the Actions variable KEYROT_<name>',
      ...at,
      `    name: ${(org ?? repo)!.at(-1)}`,
      '    value: "{{secret}}"',
      '    tokenEnv: GITHUB_TOKEN      # a fine-grained or GitHub App token (permissions above)',
      ...(kept ? [] : ['    rollback: false             # no other target keeps the old key, so a rollback leaves this one serving the new key']),
    ],
    permissions: [
      org
        ? `GitHub (organization ${org[1]}): a token with the organization permissions Secrets: write and Variables: write (classic: admin:org)`
        : `GitHub (${repo![1]}${repo![2] ? `, environment ${repo![2]}` : ''}): a fine-grained token on that repository only with ${repo![2] ? 'Environments: write' : 'Secrets: write and Variables: write'} (classic: repo)`,
    ],
  };
}

const planName = (o: ScaffoldOptions): string => {
  const base = o.name ?? ((o.issuer === 'aws-iam' || (DATABASE_ISSUERS as readonly string[]).includes(o.issuer)) && o.user ? o.user : (o.stores[0]?.split(/[:/]/).filter(Boolean).pop() ?? 'api-key'));
  const name = base.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) throw usage(`cannot make a plan name of "${base}": pass --name`);
  return name;
};

/** The plan, as YAML text with comments. */
export function scaffoldPlan(o: ScaffoldOptions): string {
  if (!SCAFFOLD_ISSUERS.includes(o.issuer)) throw usage(`unknown issuer "${o.issuer}": one of ${SCAFFOLD_ISSUERS.join(', ')}`);
  if (o.stores.length === 0) throw usage(`name at least one store: --store ${STORE_FORMS['vault-kv2']}`);
  const region = o.region ?? 'us-east-1';
  const aws = o.issuer === 'aws-iam';
  if (aws && !o.user) throw usage('--issuer aws-iam needs --user: the IAM user whose access keys are rotated');
  const db = (DATABASE_ISSUERS as readonly string[]).includes(o.issuer) ? o.issuer as DatabaseIssuer : undefined;
  if (db && !/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(o.user ?? '')) throw usage(`--issuer ${db} needs --user: ${db === 'redis' ? 'the ACL user whose password is rotated' : 'the name of the pair of logins (NAME_blue, NAME_green)'}, letters, digits and _`);
  const name = planName(o.issuer === 'http' && !o.name ? { ...o, name: o.preset } : o);
  const fields = aws ? { id: 'access_key_id', secret: 'secret_access_key' } : db ? { id: 'username', secret: 'password', idTemplate: '{{username}}' } : { id: 'key_id', secret: 'api_key' };
  const stores = o.stores.map((spec) => storeSection(spec, o, fields, region));

  const http = o.issuer === 'http' ? presetSource(o.preset ?? '') : undefined;
  if (o.issuer === 'http' && !http) throw usage(`--issuer http needs --preset, one of: ${PRESET_LIST} (or write the calls out yourself, as rotation-plans/keyhub.yaml does)`);
  const database = db ? databaseSource(db, o.user!) : undefined;
  const source = database ? database.lines : http ? http.lines : aws
    ? ['  type: aws-iam', `  user: ${q(o.user!)}`, `  region: ${q(region)}          # credentials from the AWS default chain (env, profile, SSO, OIDC, IRSA)`,
      '  deleteInactiveKey: false    # with two keys already, refuse rather than delete one']
    : ['  type: generated', '  bytes: 32                   # 256 bits', '  encoding: base64url'];
  const permissions = [
    ...(aws ? [`AWS IAM, on arn:aws:iam::ACCOUNT_ID:user/${o.user} only: ${IAM_ACTIONS.join(', ')}`] : []),
    ...(http ? http.permissions : []),
    ...(database ? database.permissions : []),
    ...stores.flatMap((s) => s.permissions),
  ];
  return alignComments([
    `# yaml-language-server: $schema=${o.schemaPath}`,
    `# Written by \`keyrot init\`. Check it with \`keyrot validate\` and preview it with \`keyrot plan\`.`,
    ...(permissions.length ? ['# Permissions the identity keyrot runs as needs (`keyrot doctor` checks them):', ...permissions.map((l) => `#   ${l}`)] : []),
    'apiVersion: keyrot/v1',
    `name: ${name}`,
    'schedule:',
    `  maxAge: ${o.maxAge ?? '30d'}                # with --due, a rotation starts only when the active key is older`,
    'source:',
    ...source,
    'publish:                      # every target receives the new credential before anything is retired',
    ...stores.flatMap((s) => s.lines),
    `verify: true                  # prove the new key ${aws ? 'authenticates (STS GetCallerIdentity)' : db ? 'logs in' : 'is served by every target'} before retiring the old one`,
    'drain: 15m                    # overlap window: longer than every consumer\'s cache TTL + deploy time',
    ...(aws ? ['lastUsed:', '  quietFor: 30m               # the old key must have been idle this long before it is deactivated', '  maxWait: 24h                # give up (exit 3, rotation held) if it never goes quiet'] : []),
    ...(db ? ['lastUsed:', '  quietFor: 5m                # no session of the old login for this long (the session gate) before it is shut out', '  maxWait: 24h                # a pool that never reconnects holds the rotation (exit 3)'] : []),
    'soak: 7d                      # deactivated (reversible) this long before the permanent delete',
    '',
  ]).join('\n');
}
