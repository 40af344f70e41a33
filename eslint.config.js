import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layer rule (README, "Architecture"): data flows plan -> engine -> cli, and providers, state and
// audit sit below the engine, knowing nothing of it. Each folder names what it may never import.
const layers = {
  'src/providers/**': ['engine', 'cli'],
  'src/engine/**': ['cli'],
  'src/plan/**': ['engine', 'cli'],
  'src/state/**': ['providers', 'engine', 'cli'],
  'src/audit/**': ['providers', 'engine', 'cli'],
  'src/secrets/**': ['engine', 'cli', 'providers', 'plan', 'state'],
  'src/shared/**': ['engine', 'cli', 'providers', 'plan', 'state', 'audit', 'notify'],
  // The generic Vault client (connection, login, KV v2): used by the vault-kv2 target and the Vault state backend.
  'src/vault/**': ['engine', 'cli', 'providers', 'plan', 'state', 'audit', 'notify'],
};
const banned = (folders) =>
  folders.map((folder) => ({
    group: [`**/${folder}/*`, `**/${folder}`],
    message: `the layer rule: this folder never imports src/${folder}/ (see README, Architecture)`,
  }));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.peers/', 'coverage/'] },
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
    // scripts/bundle.mjs: the bundle keeps only the parts of zod a namespace import names; zod's `z` object holds all of it.
    files: ['src/**'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: "ImportDeclaration[source.value='zod'][importKind='value'] > ImportSpecifier[imported.name='z'][importKind='value']",
        message: "write `import * as z from 'zod'`: it keeps the bundle (and start-up) small",
      }],
    },
  },
  ...Object.entries(layers).map(([files, folders]) => ({
    files: [files],
    rules: { 'no-restricted-imports': ['error', { patterns: banned(folders) }] },
  })),
  {
    // Commands only render: they call one engine operation; providers and sessions are the engine's.
    files: ['src/cli/commands/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          ...banned(['providers']),
          { group: ['**/engine/providers.js'], message: 'commands never call a provider: add an engine operation' },
          { group: ['**/engine/session.js'], importNames: ['withPlan', 'drive', 'rotationContext'], message: 'commands never drive a rotation themselves: add an engine operation' },
        ],
      }],
    },
  },
);
