import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// The layer rule (docs/ARCHITECTURE.md): data flows plan -> engine -> cli. Each folder of src/ names
// the folders it never imports; src/*.ts (errors, the message table, small file helpers) and
// src/messages/ sit at the bottom with shared/ and secrets/, and every folder may use them.
const ALL = ['cli', 'engine', 'plan', 'providers', 'notify', 'state', 'audit', 'vault', 'secrets', 'shared'];
const except = (...allowed) => ALL.filter((f) => !allowed.includes(f));
const layers = {
  // Commands parse, call one engine operation and render; `state/open` is where they choose a store.
  cli: { banned: except('cli', 'engine', 'secrets', 'shared', 'state'), only: { state: ['open.js'] } },
  engine: { banned: ['cli'] },
  plan: { banned: ['cli', 'engine', 'state', 'audit', 'vault'] },
  // Providers know nothing of phases, state or output: the ledger reaches them as an interface (a type).
  providers: { banned: ['cli', 'engine', 'plan', 'notify', 'audit'], typesOnly: { state: ['store.js'] } },
  notify: { banned: ['cli', 'engine', 'plan', 'providers', 'vault'] },
  state: { banned: ['cli', 'engine', 'plan', 'providers', 'notify'] },
  audit: { banned: except('audit', 'secrets', 'shared') },
  // The generic Vault client (connection, login, KV v2): used by the vault-kv2 target and the Vault state store.
  vault: { banned: except('vault', 'secrets', 'shared') },
  secrets: { banned: except('secrets', 'shared') },
  shared: { banned: [...except('shared'), 'messages'] },
  // The message table (src/messages.ts, written by area in src/messages/): every layer says things through it.
  messages: { banned: except('shared') },
};
const rule = (from, to) => `the layer rule: src/${from}/ never imports src/${to}/ (docs/ARCHITECTURE.md)`;
const folderPatterns = (from, { banned, only = {}, typesOnly = {} }) => [
  ...banned.map((to) => ({ group: [`**/${to}/*`, `**/${to}`], message: rule(from, to) })),
  ...Object.entries(only).map(([to, files]) => ({
    group: [`**/${to}/*`, ...files.map((f) => `!**/${to}/${f}`)],
    message: `${rule(from, to)}, except ${files.join(', ')}`,
  })),
  ...Object.entries(typesOnly).flatMap(([to, files]) => [
    { group: [`**/${to}/*`, ...files.map((f) => `!**/${to}/${f}`)], message: `${rule(from, to)}: only the interfaces the engine hands over` },
    { group: files.map((f) => `**/${to}/${f}`), allowTypeImports: true, message: `${rule(from, to)}: only the interfaces the engine hands over (import type)` },
  ]),
];
// Commands only render: they call one engine operation; providers and sessions are the engine's.
const commandPatterns = [
  { group: ['**/engine/providers.js'], message: 'commands never call a provider: add an engine operation' },
  { group: ['**/engine/session.js', '**/engine/runner.js', '**/engine/phases/*', '**/engine/phases.js'], message: 'commands never drive a rotation themselves: add an engine operation' },
];
const restrict = (files, patterns) => ({ files, rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] } });

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.peers/', 'coverage/', '.stryker-tmp/', 'reports/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Node's globals, for the plain .js/.mjs files (bench/, scripts): TypeScript checks the rest.
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', performance: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // One concept per file, small functions (STYLE.md): split a file past 250 lines, a function past 80.
    // No import loops in src/, type-only and on-demand imports included.
    files: ['src/**'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    rules: {
      'max-lines': ['error', { max: 250 }],
      'max-lines-per-function': ['warn', { max: 80, skipBlankLines: true, skipComments: true }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // scripts/bundle.mjs: the bundle keeps only the parts of zod a namespace import names; zod's `z` object holds all of it.
      'no-restricted-syntax': ['error', {
        selector: "ImportDeclaration[source.value='zod'][importKind='value'] > ImportSpecifier[imported.name='z'][importKind='value']",
        message: "write `import * as z from 'zod'`: it keeps the bundle (and start-up) small",
      }],
    },
  },
  ...Object.entries(layers).map(([folder, layer]) => restrict([`src/${folder}/**`], folderPatterns(folder, layer))),
  restrict(['src/*.ts'], except().map((to) => ({ group: [`**/${to}/*`, `**/${to}`], message: `the layer rule: src/*.ts sit below every folder but shared/ (docs/ARCHITECTURE.md)` })).filter((p) => !p.group[0].includes('/shared/'))),
  restrict(['src/cli/commands/**'], [...folderPatterns('cli', layers.cli), ...commandPatterns]),
);
