// The aws-iam issuer: access keys of one IAM user. Loaded only when a plan uses it (it pulls in the SDK).
import { KeyrotError } from '../../../errors.js';
import { formatDuration } from '../../../shared/duration.js';
import type { IssuerOp, KeyInfo, KeyIssuer, LastUse, ProviderContext } from '../../types.js';
import { planCalls } from './calls.js';
import { awsIamDoctor } from './doctor.js';
import { awsCode, toKeyrotError } from './errors.js';
import { awsIamKeysHeld } from './owner.js';
import type { AwsIamIssuerConfig } from './schema.js';
import { verifyCredential } from './verify.js';

/** AWS answers "N/A" for the service and region of a key that was never used. */
const known = (v: string | undefined) => (v && v !== 'N/A' ? v : undefined);

export function createAwsIamIssuer(config: AwsIamIssuerConfig, ctx: ProviderContext): KeyIssuer {
  const { user, region, endpoint } = config;
  const { label, identity, callOptions, iam, sts, callContext, guard, identityKey } = planCalls(config, ctx);
  const timeouts = { timeoutMs: config.timeout, connectTimeoutMs: config.connectTimeout };

  const explanations: Record<IssuerOp, string> = {
    list: `iam:ListAccessKeys(UserName=${user})`,
    create: `iam:CreateAccessKey(UserName=${user})`,
    verify: `sts:GetCallerIdentity() signed with the new key, retried up to ${formatDuration(config.verifyTimeout)}`,
    lastUsed: 'iam:GetAccessKeyLastUsed(AccessKeyId)',
    deactivate: `iam:UpdateAccessKey(UserName=${user}, Status=Inactive)`,
    reactivate: `iam:UpdateAccessKey(UserName=${user}, Status=Active)`,
    delete: `iam:DeleteAccessKey(UserName=${user})`,
  };

  return {
    label,
    maxKeys: 2,

    list: () =>
      guard('iam:ListAccessKeys', undefined, async () =>
        (await iam.listAccessKeys(user)).map(
          (k): KeyInfo => ({
            id: k.AccessKeyId ?? '',
            status: k.Status === 'Active' ? 'active' : 'inactive',
            createdAt: k.CreateDate ?? new Date(0),
          }),
        ),
      ),

    create: () =>
      guard('iam:CreateAccessKey', undefined, async () => {
        try {
          const key = await iam.createAccessKey(user);
          return { keyId: key.AccessKeyId!, secret: key.SecretAccessKey!, createdAt: key.CreateDate ?? ctx.now() };
        } catch (e) {
          if (awsCode(e) !== 'LimitExceeded') throw e;
          // Someone added a key after keyrot counted them: refuse (exit 3), naming what is there.
          const keys = await iam.listAccessKeys(user);
          const spare = keys.find((k) => k.Status !== 'Active')?.AccessKeyId ?? 'the key no consumer uses';
          throw new KeyrotError('key-limit', {
            issuer: label,
            count: keys.length,
            keys: keys.map((k) => `${k.AccessKeyId} (${k.Status?.toLowerCase()})`).join(', '),
            cleanup: `${explanations.delete} for ${spare}`,
          });
        }
      }),

    verify: (credential) =>
      verifyCredential(credential, {
        user,
        region,
        ...(endpoint ? { endpoint } : {}),
        verifyTimeoutMs: config.verifyTimeout,
        ...timeouts,
        call: callContext('sts:GetCallerIdentity', credential.keyId),
        note: (m) => ctx.note(m),
      }),

    lastUsed: (keyId) =>
      guard('iam:GetAccessKeyLastUsed', keyId, async (): Promise<LastUse> => {
        const used = await iam.getAccessKeyLastUsed(keyId);
        const service = known(used?.ServiceName);
        const where = known(used?.Region);
        return { reported: true, at: used?.LastUsedDate ?? null, ...(service ? { service } : {}), ...(where ? { region: where } : {}) };
      }),

    deactivate: (keyId) => guard('iam:UpdateAccessKey', keyId, () => iam.updateAccessKey(user, keyId, 'Inactive')),
    reactivate: (keyId) => guard('iam:UpdateAccessKey', keyId, () => iam.updateAccessKey(user, keyId, 'Active')),

    delete: (keyId) =>
      guard('iam:DeleteAccessKey', keyId, async (): Promise<void | 'gone'> => {
        try {
          await iam.deleteAccessKey(user, keyId);
        } catch (e) {
          // Already gone is the state we want (a delete that was cut short and is redone), and is said so.
          const error = toKeyrotError(e, callContext('iam:DeleteAccessKey', keyId));
          if (awsCode(e) === 'NoSuchEntity' && error.code === 'aws-key-not-found') return 'gone';
          throw e;
        }
      }),

    explain: (op) => explanations[op],

    // Revoke's owner search: one call per identity names the user, instead of listing every plan's keys.
    owner: {
      ...awsIamKeysHeld.owner(config, ctx.env, identityKey),
      holderOf: (keyId) => guard('iam:GetAccessKeyLastUsed', keyId, () => iam.accessKeyHolder(keyId)),
    },

    doctor: () => awsIamDoctor({ user, callOptions, iam: identity().iam, sts, callContext })(),
  };
}
