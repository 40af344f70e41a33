// Bundles the compiled CLI (dist/cli/main.js, from tsc) into dist/bundle/, which bin/keyrot.js runs.
// Why: a command's start-up is mostly Node resolving and reading modules one file at a time (zod
// and yaml alone are ~180 files), and `keyrot validate` from a pre-commit hook or CI runs often.
// Each command stays its own chunk, loaded on demand as before. The cloud SDKs and every other
// dependency stay external, loaded from node_modules as npm installed them: only the four small,
// dependency-free libraries on the start-up path (commander, chalk, yaml, zod) are bundled.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLED = ['commander', 'chalk', 'yaml', 'zod'];
const { dependencies } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const outdir = path.join(root, 'dist', 'bundle');

rmSync(outdir, { recursive: true, force: true });

// What this build is, for the plan cache (src/plan/cache.ts): every compiled file and the versions of the
// bundled libraries (zod decides what a valid plan is). A plan validated by one build is not trusted by another.
const hash = createHash('sha256');
const compiled = readdirSync(path.join(root, 'dist'), { recursive: true }).filter((f) => f.endsWith('.js') && !f.startsWith('bundle')).sort();
for (const f of compiled) hash.update(f).update(readFileSync(path.join(root, 'dist', f)));
for (const d of BUNDLED) hash.update(`${d}@${JSON.parse(readFileSync(path.join(root, 'node_modules', d, 'package.json'), 'utf8')).version}`);
const buildId = hash.digest('hex').slice(0, 16);
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
  define: { KEYROT_BUILD_ID: JSON.stringify(buildId) },
  logLevel: 'warning',
});
