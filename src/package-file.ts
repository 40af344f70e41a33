// Files npm installed with keyrot (package.json, schema/). Found by walking up from this module
// rather than by a fixed "../..": the module sits at different depths in src/, dist/ and the bundle.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The absolute path of `relative` in keyrot's package folder. */
export function packageFile(relative: string): string {
  if (!root) {
    let dir = path.dirname(fileURLToPath(import.meta.url));
    while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    root = dir;
  }
  return path.join(root, relative);
}
