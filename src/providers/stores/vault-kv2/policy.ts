// The Vault policy a vault-kv2 target needs: one place, read by `keyrot init` (the comment it writes)
// and by `keyrot doctor` (sys/capabilities-self on each path).

export interface PolicyLine {
  /** The ACL path, as a policy names it: "secret/data/payments/aws". */
  path: string;
  capabilities: string[];
  /** Which step needs it. */
  why: string;
}

export function vaultPolicy(mount: string, secretPath: string, destroyOldVersions = true): PolicyLine[] {
  const at = (kind: string) => `${mount}/${kind}/${secretPath}`;
  return [
    { path: at('data'), capabilities: ['create', 'read', 'update'], why: 'publish and read back' },
    { path: at('metadata'), capabilities: ['create', 'update'], why: 'mark the secret as keyrot\'s (custom_metadata)' },
    { path: at('delete'), capabilities: ['update'], why: 'deactivate: soft-delete the old version' },
    { path: at('undelete'), capabilities: ['update'], why: 'rollback: restore it' },
    ...(destroyOldVersions ? [{ path: at('destroy'), capabilities: ['update'], why: 'delete: destroy it' }] : []),
  ];
}

/** As HCL, one line per path, with why as a comment. */
export const policyHcl = (lines: PolicyLine[]): string[] => {
  const width = Math.max(...lines.map((l) => l.path.length));
  return lines.map((l) => `path "${l.path}"${' '.repeat(width - l.path.length)} { capabilities = [${l.capabilities.map((c) => `"${c}"`).join(', ')}] }   # ${l.why}`);
};
