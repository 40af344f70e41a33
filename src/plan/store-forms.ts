// How `keyrot init --store` names each kind of target, TYPE:WHERE: one list for the help, the
// question asked at a terminal and the error about an unknown store. Light, so `--help` stays quick.
import { GITLAB_FORM } from './scaffold-gitlab.js';

export const STORE_FORMS = {
  file: 'file:PATH (relative to the plan)',
  'vault-kv2': 'vault-kv2:MOUNT/PATH, e.g. vault-kv2:secret/payments/aws',
  'azure-keyvault': 'azure-keyvault:https://VAULT.vault.azure.net/SECRET-NAME',
  'aws-secrets-manager': 'aws-secrets-manager:SECRET-NAME',
  'aws-ssm': 'aws-ssm:/PARAMETER/NAME',
  'github-actions': 'github-actions:OWNER/REPO[/ENVIRONMENT]/SECRET_NAME or github-actions:org:ORG/SECRET_NAME',
  'gitlab-ci': GITLAB_FORM,
} as const;

export const SCAFFOLD_STORES = Object.keys(STORE_FORMS) as (keyof typeof STORE_FORMS)[];
