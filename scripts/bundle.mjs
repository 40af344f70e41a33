// Bundles the compiled CLI (dist/cli/main.js, from tsc) into dist/bundle/, which bin/keyrot.js runs.
// Why: a command's start-up is mostly Node resolving and reading modules one file at a time (zod
// and yaml alone are ~180 files), and `keyrot validate` from a pre-commit hook or CI runs often.
// Each command stays its own chunk, loaded on demand as before. The cloud SDKs and every other
// dependency stay external, loaded from node_modules as npm installed them: only the four small,
// dependency-free libraries on the start-up path (commander, chalk, yaml, zod) are bundled.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLED = ['commander', 'chalk', 'yaml', 'zod'];
const { dependencies } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const outdir = path.join(root, 'dist', 'bundle');

rmSync(outdir, { recursive: true, force: true });

// The AWS SDK is CommonJS. An ESM `import` of CommonJS makes Node scan each file's source for the names
// it exports (cjs-module-lexer) and check each file it requires for ESM syntax; require() runs the same
// files without either: ~50 ms less CPU before `keyrot run`'s first IAM call (issue 27). So an external
// that Node loads as CommonJS either way (the same file imported or required) is required through the
// chunks' own require (the banner below), and esbuild hands its exports to the importing code as for a
// bundled CommonJS library. Packages with an ESM entry (pg, the Azure SDK, p-limit...) stay imports.
const requireFromRoot = createRequire(path.join(root, 'package.json'));
const typeOf = (file) => {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).type ?? 'commonjs';
    } catch { /* no package.json here */ }
  }
  return 'commonjs';
};
function loadedAsCommonJs(spec) {
  try {
    const required = requireFromRoot.resolve(spec);
    const imported = fileURLToPath(import.meta.resolve(spec)); // from scripts/: the same node_modules
    return required === imported && (required.endsWith('.cjs') || (required.endsWith('.js') && typeOf(required) === 'commonjs'));
  } catch {
    return false;
  }
}
const requireCommonJsExternals = {
  name: 'require-commonjs-externals',
  setup(b) {
    const external = new Set(Object.keys(dependencies).filter((d) => !BUNDLED.includes(d)));
    const isExternal = (spec) => external.has(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (!isExternal(args.path)) return undefined;
      if (args.kind === 'require-call' || !loadedAsCommonJs(args.path)) return { path: args.path, external: true };
      return { path: args.path, namespace: 'commonjs-external' };
    });
    b.onLoad({ filter: /.*/, namespace: 'commonjs-external' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

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
  plugins: [requireCommonJsExternals],
  // A bundled CommonJS library (commander) requires Node's own modules: give the ESM chunks a require.
  banner: { js: "import { createRequire as __keyrotRequire } from 'node:module'; const require = __keyrotRequire(import.meta.url);" },
  define: { KEYROT_BUILD_ID: JSON.stringify(buildId) },
  logLevel: 'warning',
});
