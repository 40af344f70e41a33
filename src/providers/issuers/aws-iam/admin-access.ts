// Least privilege, for keyrot doctor: where the rotated user gets admin-level access from (AWS's
// AdministratorAccess, or a policy that allows "*" on "*"), attached to it or to its groups, managed or
// inline. Read-only calls only.
import {
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetUserPolicyCommand,
  type IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import { attempt, type CallOptions } from './client.js';
import { awsCode } from './errors.js';

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: string | string[];
}

/** Whether a policy document allows every action on every resource. */
export function allowsEverything(document: string | undefined): boolean {
  if (!document) return false;
  let parsed: { Statement?: Statement | Statement[] };
  try {
    parsed = JSON.parse(decodeURIComponent(document)) as typeof parsed;
  } catch {
    return false;
  }
  const all = (v: string | string[] | undefined) => (Array.isArray(v) ? v : [v]).includes('*');
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : parsed.Statement ? [parsed.Statement] : [];
  return statements.some((s) => s.Effect === 'Allow' && all(s.Action) && all(s.Resource));
}

const ADMIN_POLICY = /:policy\/AdministratorAccess$/;
const READ_POLICIES = 'iam:ListAttachedUserPolicies, iam:ListUserPolicies, iam:GetUserPolicy, iam:ListGroupsForUser, iam:ListAttachedGroupPolicies, iam:ListGroupPolicies, iam:GetGroupPolicy, iam:GetPolicy, iam:GetPolicyVersion';

/** Where the rotated user gets admin-level access from, if anywhere; `denied` when its policies may not be read. */
export async function adminSources(iam: IAMClient, user: string, callOptions: CallOptions): Promise<{ found: string[]; looked: number } | { denied: string }> {
  const send = <T>(action: string, run: () => Promise<T>) => attempt(callOptions, action, run);
  const found: string[] = [];
  let looked = 0;
  const managed = async (arn: string, where: string) => {
    looked += 1;
    if (ADMIN_POLICY.test(arn)) return void found.push(`${where} policy ${arn}`);
    const policy = await send('iam:GetPolicy', () => iam.send(new GetPolicyCommand({ PolicyArn: arn })));
    const version = policy.Policy?.DefaultVersionId;
    if (!version) return;
    const doc = await send('iam:GetPolicyVersion', () => iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: version })));
    if (allowsEverything(doc.PolicyVersion?.Document)) found.push(`${where} policy ${arn} allows "*" on "*"`);
  };
  const inline = (name: string, document: string | undefined, where: string) => {
    looked += 1;
    if (allowsEverything(document)) found.push(`${where} inline policy ${name} allows "*" on "*"`);
  };
  try {
    const attached = await send('iam:ListAttachedUserPolicies', () => iam.send(new ListAttachedUserPoliciesCommand({ UserName: user, MaxItems: 1000 })));
    for (const p of attached.AttachedPolicies ?? []) if (p.PolicyArn) await managed(p.PolicyArn, 'attached');
    const names = await send('iam:ListUserPolicies', () => iam.send(new ListUserPoliciesCommand({ UserName: user, MaxItems: 1000 })));
    for (const name of names.PolicyNames ?? []) {
      const p = await send('iam:GetUserPolicy', () => iam.send(new GetUserPolicyCommand({ UserName: user, PolicyName: name })));
      inline(name, p.PolicyDocument, 'its');
    }
    const groups = await send('iam:ListGroupsForUser', () => iam.send(new ListGroupsForUserCommand({ UserName: user, MaxItems: 1000 })));
    for (const g of groups.Groups ?? []) {
      const group = g.GroupName!;
      const attachedToGroup = await send('iam:ListAttachedGroupPolicies', () => iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: group, MaxItems: 1000 })));
      for (const p of attachedToGroup.AttachedPolicies ?? []) if (p.PolicyArn) await managed(p.PolicyArn, `group ${group}'s`);
      const groupNames = await send('iam:ListGroupPolicies', () => iam.send(new ListGroupPoliciesCommand({ GroupName: group, MaxItems: 1000 })));
      for (const name of groupNames.PolicyNames ?? []) {
        const p = await send('iam:GetGroupPolicy', () => iam.send(new GetGroupPolicyCommand({ GroupName: group, PolicyName: name })));
        inline(name, p.PolicyDocument, `group ${group}'s`);
      }
    }
  } catch (e) {
    if (awsCode(e) === 'AccessDenied') return { denied: READ_POLICIES };
    throw e;
  }
  return { found, looked };
}
