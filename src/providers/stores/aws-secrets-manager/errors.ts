// Secrets Manager's errors: the AWS ones every AWS store shares (../../aws-errors.ts), and a secret
// scheduled for deletion, which only Secrets Manager has.
import { KeyrotError } from '../../../errors.js';
import { awsCode, awsError } from '../../aws-errors.js';

export { awsCode };

export interface Call {
  store: string;
  secretId: string;
  /** The API action: "secretsmanager:PutSecretValue". */
  action: string;
  endpoint?: string;
  timeoutMs?: number;
  sensitive?: string[];
}

/** Secrets Manager's answer for a secret scheduled for deletion (PutSecretValue, CreateSecret, ...). */
export const isMarkedForDeletion = (e: unknown): boolean =>
  awsCode(e) === 'InvalidRequest' && /(marked|scheduled) for deletion|marked deleted/i.test(e instanceof Error ? e.message : '');

export function scheduledForDeletion(store: string, secretId: string, region: string): KeyrotError {
  return new KeyrotError('secret-soft-deleted', {
    store,
    state: 'scheduled for deletion',
    fix: `restore it (\`aws secretsmanager restore-secret --secret-id ${secretId} --region ${region}\`) or wait until the recovery window ends`,
  });
}

export function toKeyrotError(e: unknown, call: Call, region: string): KeyrotError {
  if (e instanceof KeyrotError) return e;
  if (isMarkedForDeletion(e)) return scheduledForDeletion(call.store, call.secretId, region);
  const { secretId, ...rest } = call;
  return awsError(e, { ...rest, resource: secretId, service: 'Secrets Manager' }, region);
}
