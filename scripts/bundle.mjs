// Bundles the compiled CLI (dist/cli/main.js, from tsc) into dist/bundle/, which bin/keyrot.js runs.
// Why: a command's start-up is mostly Node resolving and reading modules one file at a time (zod
// and yaml alone are ~180 files), and `keyrot validate` from a pre-commit hook or CI runs often.
// Each command stays its own chunk, loaded on demand as before. The cloud SDKs and every other
// dependency stay external, loaded from node_modules as npm installed them: only the four small,
// dependency-free libraries on the start-up path (commander, chalk, yaml, zod) are bundled.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLED = ['commander', 'chalk', 'yaml', 'zod'];
const { dependencies } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const outdir = path.join(root, 'dist', 'bundle');

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'dist', 'cli', 'main.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: Object.keys(dependencies).filter((d) => !BUNDLED.includes(d)).flatMap((d) => [d, `${d}/*`]),
  // A bundled CommonJS library (commander) requires Node's own modules: give the ESM chunks a require.
  banner: { js: "import { createRequire as __keyrotRequire } from 'node:module'; const require = __keyrotRequire(import.meta.url);" },
  logLevel: 'warning',
});
