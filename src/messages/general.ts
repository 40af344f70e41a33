// Messages about the command line and the plans, and the two every command may end with.
import type { PlanProblem } from '../shared/problem.js';
import { EXIT } from './exit.js';
import { shellWord } from './shell.js';
import { s, spec, type Text } from './spec.js';
import { count } from '../shared/plural.js';

export const generalMessages = {
  'usage': spec<{ problem: Text; command?: Text }>(EXIT.usage,
    (d) => s(d.problem),
    (d) => `see \`keyrot ${d.command ? `${s(d.command)} ` : ''}--help\``),
  'vault-address-missing': spec<{ what: Text; setAddress: Text }>(EXIT.usage,
    (d) => `${s(d.what)} has no Vault address: VAULT_ADDR is not set and the plan names none`,
    (d) => `set it, e.g. \`export VAULT_ADDR=https://vault.example.internal:8200\` (or ${s(d.setAddress)}), then ${d.rerun ? `run \`${s(d.rerun)}\` again` : `run \`keyrot run ${s(d.file ?? d.plan ?? 'rotation-plans/')}\``}`),
  'plan-invalid': spec<{ count: number; files: number; problems: PlanProblem[] }>(EXIT.usage,
    (d) => `${count(d.count, 'problem')} in ${count(d.files, 'plan file')}; nothing was touched`,
    (d) => `fix each line above, then check again: \`keyrot validate ${[...new Set((d.problems ?? []).map((p) => shellWord(p.file === '<stdin>' ? '-' : p.file)))].join(' ') || 'rotation-plans/'}\``),
  'plan-not-found': spec<{ path: Text }>(EXIT.usage,
    (d) => `no plan at ${s(d.path)}`,
    () => 'pass plan files (.yaml/.yml), folders that hold them, or a plan\'s name; the plans of a folder and their names: `keyrot validate rotation-plans/`'),
  'plan-name-unknown': spec<{ name: Text; folders: Text; holding: Text }>(EXIT.usage,
    (d) => `no plan named "${s(d.name)}" in ${s(d.folders)}`,
    (d) => (d.holding
      ? `pass the plan file itself, or run keyrot from the folder that holds it; the plans here and their names: \`keyrot validate ${s(d.holding)}\``
      : 'pass the plan file itself, or run keyrot from the folder that holds it; to write one: `keyrot init --issuer generated --store file:keys.json > my-plan.yaml`')),
  'plan-name-duplicate': spec<{ name: Text; first: Text; second: Text }>(EXIT.usage,
    (d) => `plan name "${s(d.name)}" is used by both ${s(d.first)} and ${s(d.second)}`,
    () => 'plan names share one state folder and must be unique: rename one of them'),
  'interrupted': spec<{ command?: Text }>(EXIT.interrupted,
    () => 'interrupted; state saved',
    (d) => (d.command ? `run \`${s(d.command)}\` to continue where it stopped` : 'run the same command again to continue where it stopped')),
  'init-interrupted': spec(EXIT.interrupted,
    () => 'keyrot init stopped at a question (Ctrl-C); no plan was written',
    () => 'run `keyrot init` again, or give every answer as flags: `keyrot init --issuer generated --store file:keys.json > plan.yaml`'),
  'init-input-ended': spec(EXIT.usage,
    () => 'keyrot init stopped at a question: the input ended (Ctrl-D); no plan was written',
    () => 'run `keyrot init` again, or give every answer as flags: `keyrot init --issuer generated --store file:keys.json > plan.yaml`'),
  'internal': spec<{ reason: Text }>(EXIT.internal,
    (d) => `internal error: ${s(d.reason)}`,
    () => 'this is a bug in keyrot: please report it with this output and the audit log (`keyrot history --json`), as the README section "Reporting a problem" describes'),
};
