// keyrot doctor for the aws-iam issuer: whom the credentials belong to (STS GetCallerIdentity),
// whether that principal may call what the rotation calls on the user (IAM SimulatePrincipalPolicy,
// "not checked" where the endpoint or the caller cannot simulate), and least privilege: a rotated
// user holding admin-level access is a warning, since a leak of its key is a leak of the account (admin-access.ts).
// Read-only calls only.
import { type IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { KeyrotError } from '../../../errors.js';
import type { Check } from '../../types.js';
import { adminSources } from './admin-access.js';
import type { CallOptions, StsApi } from './client.js';
import { awsCode, toKeyrotError, type CallContext } from './errors.js';
import { IAM_ACTIONS, userArn } from './policy.js';

export interface DoctorContext {
  user: string;
  callOptions: CallOptions;
  /** The identity's shared IAM client (identity.ts). */
  iam: IAMClient;
  sts: StsApi;
  callContext(action: string): CallContext;
}

/** The IAM principal an STS caller ARN stands for: an assumed-role session is simulated as its role. */
export function principalOf(callerArn: string): { arn: string } | { root: true } {
  const m = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  if (m) return { arn: `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` };
  if (/^arn:[\w-]+:iam::\d{12}:root$/.test(callerArn)) return { root: true };
  return { arn: callerArn };
}

export function awsIamDoctor(d: DoctorContext): () => Promise<Check[]> {
  const { iam } = d;
  const fail = (check: string, e: unknown, action: string): Check => {
    const error = toKeyrotError(e, d.callContext(action));
    return { check, status: 'fail', detail: error.message, error };
  };

  async function permissions(principal: string, account: string, partition: string): Promise<Check> {
    const resource = userArn(account, d.user, partition);
    try {
      // Once, not retried: an endpoint without it (a test server, some VPC endpoints) need not be asked six times.
      const out = await iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: principal, ActionNames: [...IAM_ACTIONS], ResourceArns: [resource] }));
      const denied = (out.EvaluationResults ?? []).filter((r) => r.EvalDecision !== 'allowed').map((r) => `${r.EvalActionName} (${r.EvalDecision})`);
      if (denied.length === 0) return { check: 'permissions', status: 'pass', detail: `${principal} may call ${IAM_ACTIONS.join(', ')} on ${resource}` };
      const error = new KeyrotError('aws-access-denied', { principal, action: denied.join(', '), resource });
      return { check: 'permissions', status: 'fail', detail: error.message, error };
    } catch (e) {
      const code = awsCode(e) ?? `HTTP ${(e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 'error'}`;
      const why = code === 'AccessDenied'
        ? 'the caller may not call iam:SimulatePrincipalPolicy'
        : `the endpoint does not support iam:SimulatePrincipalPolicy (${code})`;
      return { check: 'permissions', status: 'skip', detail: `not checked: ${why}; the first run will tell (a denied call exits 4 naming the action)` };
    }
  }

  async function leastPrivilege(): Promise<Check> {
    try {
      const result = await adminSources(iam, d.user, d.callOptions);
      if ('denied' in result) return { check: 'least privilege', status: 'skip', detail: `not checked: reading the user's policies needs ${result.denied}` };
      if (result.found.length === 0) return { check: 'least privilege', status: 'pass', detail: `user ${d.user} holds no admin-level policy (${result.looked} policies read)` };
      const error = new KeyrotError('aws-admin-access', { user: d.user, sources: result.found.join('; ') });
      return { check: 'least privilege', status: 'warn', detail: error.message, error };
    } catch (e) {
      return fail('least privilege', e, 'iam:ListAttachedUserPolicies');
    }
  }

  return async () => {
    let caller: { arn: string; account: string };
    try {
      caller = await d.sts.callerIdentity();
    } catch (e) {
      return [fail('credentials', e, 'sts:GetCallerIdentity')];
    }
    const checks: Check[] = [{ check: 'credentials', status: 'pass', detail: `signed in as ${caller.arn} (account ${caller.account})` }];
    const principal = principalOf(caller.arn);
    const partition = /^arn:([\w-]+):/.exec(caller.arn)?.[1] ?? 'aws';
    const root = new KeyrotError('aws-root-credentials', {});
    checks.push('root' in principal ? { check: 'permissions', status: 'warn', detail: root.message, error: root } : await permissions(principal.arn, caller.account, partition));
    checks.push(await leastPrivilege());
    return checks;
  };
}
