// What a preset is: the calls of one vendor's key API as data, with what a plan must add (values,
// credentials) and the least-privilege permissions its admin credential needs (README and init).
import type { HttpSourceInput } from '../schema.js';

export interface PresetValue {
  /** What it is, for `keyrot init` and errors. */
  describe: string;
  /** A value that would work, for `keyrot init` (never a secret). */
  example: unknown;
  /** Used when the plan gives none. */
  default?: unknown;
}

export interface Preset {
  /** What the plan writes: `preset: <name>`. */
  name: string;
  /** The vendor's name in every message: "OpenBao AppRole". */
  vendor: string;
  /** The key it rotates, one line. */
  summary: string;
  /** The vendor's documentation of these calls. */
  docs: string;
  /** The plan values its templates use (role names, project ids, scopes). */
  values: Record<string, PresetValue>;
  /** The least privilege the admin credential needs, one line each; templates take the plan's values. */
  permissions: string[];
  /** The calls and defaults; the plan's own fields win, call by call. */
  source: Omit<HttpSourceInput, 'type' | 'preset'>;
  /** What `keyrot init` writes besides the values: the base URL and the credential's usual home. */
  example: Pick<HttpSourceInput, 'baseUrl' | 'auth'>;
}
