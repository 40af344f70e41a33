// The IAM actions the aws-iam issuer calls, on the rotated user only (README, "IAM permissions"):
// read by `keyrot init` (the policy it writes as a comment) and `keyrot doctor` (SimulatePrincipalPolicy).
export const IAM_ACTIONS = ['iam:ListAccessKeys', 'iam:CreateAccessKey', 'iam:UpdateAccessKey', 'iam:DeleteAccessKey', 'iam:GetAccessKeyLastUsed'] as const;

export const userArn = (account: string, user: string, partition = 'aws') => `arn:${partition}:iam::${account}:user/${user}`;
