// The program: commands are declared here and loaded on demand, so `keyrot --help` stays fast.
// This file holds the only catch-all and sets the only exit code.
import { readFileSync } from 'node:fs';
import { Argument, Command, CommanderError, Option } from 'commander';
import { PHASE_NAMES } from '../engine/rotation.js';
import { STORE_FORMS } from '../engine/store-forms.js';
import { isKeyrotError, KeyrotError } from '../errors.js';
import { EXIT } from '../messages.js';
import { packageFile } from '../package-file.js';
import { installOutputFilter } from '../secrets/redact.js';
import { applyColorChoice, jsonOption, noColorOption, outputFromArgv, outputOption, plainOption, type OutputFormat } from './output.js';
import { keepHeapNearLiveData } from './heap.js';
import { commandNameIn, installInvocation, typedCommand } from './invocation.js';
import { printError } from './print-error.js';
import type { Wiring } from './session-options.js';

const EXIT_CODES_HELP = `
Exit codes:
  0    every plan done, or nothing due
  1    internal error (a bug: please report it)
  2    bad usage, invalid plan, or a state file or folder keyrot cannot use (nothing was touched)
  3    refused for safety: a gate held (old key still in use, key limit, lock held)
  4    a provider or network call failed after retries, or state could not be written (disk full);
       state saved as of the last step; safe to re-run
  75   rotations are waiting on a timer (with --no-wait); run again later
  130  interrupted by Ctrl-C or SIGTERM, within a second whatever keyrot waits on (state saved; safe to re-run)`;

/** The version npm installed. */
const version = (): string => (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;

const stateOption = () =>
  new Option('--state <dir|vault://mount/prefix>', 'state folder, or Vault KV v2 for keyrot run from many hosts (default: .keyrot/ beside each plan)').env('KEYROT_STATE');
const metricsFileOption = () => new Option('--metrics-file <path>', 'also write every plan\'s key age and rotation as a Prometheus text file (node_exporter textfile collector), atomically');
const waitLockOption = () => new Option('--wait-lock <duration>', 'wait this long for another keyrot run holding the plan lock, e.g. 5m');

/** What every command takes: the output format (and both its aliases) and colour. */
function common(command: Command): Command {
  return command.addOption(outputOption()).addOption(jsonOption()).addOption(plainOption()).addOption(noColorOption());
}

/** Commands that change keys: run, revoke, and the operator's decisions. */
function rotationCommands(keyrot: Command, setExit: (code: number) => void, wiring: Wiring): void {
  common(keyrot
    .command('run')
    .description('advance each plan\'s rotation as far as its gates and timers allow (resumes where it stopped)')
    .argument('<plans...>', 'plan files, folders of them, or plan names')
    .option('--no-wait', 'do not block through waits: advance and exit 75 if a timer is still running (for cron)')
    .option('--due', 'start a new rotation only when the active key is older than schedule.maxAge')
    .option('-y, --yes', 'delete without asking; without a terminal and without --yes the delete holds (exit 3)')
    .addOption(waitLockOption())
    .option('--concurrency <n>', 'plans advanced at once', '4')
    .option('--resume-after-rollback', 'go on with a rotation that was rolled back (deactivate the old key again)')
    .addOption(stateOption())
    .addOption(metricsFileOption())
    .addHelpText('after', '\nExamples:\n  keyrot run rotation-plans/payments.yaml\n  keyrot run --due --no-wait --yes rotation-plans/     # from cron, every few minutes\n' +
      '  keyrot run --due --no-wait --yes --metrics-file /var/lib/node_exporter/textfile_collector/keyrot.prom rotation-plans/')
    .action(async (plans: string[], opts) => setExit(await (await import('./commands/run.js')).runCommand(plans, opts, wiring))));

  common(keyrot
    .command('revoke')
    .description('a key leaked: deactivate it now, publish a replacement, show what it last touched')
    .argument('<plans...>', 'plan files, folders or plan names: the one whose issuer holds the key is found')
    .option('--key <id>', 'the leaked key id (without it: the current key of the one plan given)')
    .option('--from-report <file>', 'revoke every key found by a secret scanner: gitleaks JSON report or trufflehog --json output')
    .option('--secret-stdin', 'revoke the key whose secret is piped on stdin (matched by fingerprint, never printed)')
    .option('--delete', 'after the soak: permanently delete the revoked key (with --key)')
    .option('-y, --yes', 'do not ask before acting; without a terminal and without --yes nothing is done (exit 3)')
    .addOption(waitLockOption())
    .addOption(stateOption())
    .addHelpText('after', '\nRevoke breaks the usual guarantee on purpose: until consumers load the replacement, they have no valid key.\n' +
      'The owner is looked up in keyrot\'s own records first, then every other plan\'s issuer is asked at once;\n' +
      'a plan whose provider cannot be reached is skipped and named. At a terminal it asks once (after every check;\n' +
      'with --secret-stdin on /dev/tty); without one it needs --yes, else it exits 3 and changes nothing.\n' +
      'A leaked database password (postgresql, mysql, redis): the sessions already open with it are ended too;\n' +
      'if keyrot\'s login may not end them, the key is still revoked and it exits 4 with the grant that fixes it.\n' +
      'A leaked password inactive already has nothing to revoke, but its open sessions are ended all the same\n' +
      '(postgresql, mysql; redis cannot tell them apart and says so).\n' +
      'Another leaked key of a plan whose rotation is in flight is revoked inside it at once, and the rotation\n' +
      'goes on where it stood (its delete deletes that key too); unless a target serves the key: exit 3.\n' +
      'If that rotation is abandoned, `--delete --key` deletes the key after its soak (or the next rotation does).\n' +
      'Examples:\n  keyrot revoke --key AKIAEXAMPLE rotation-plans/\n  keyrot revoke --from-report gitleaks-report.json rotation-plans/\n' +
      '  pbpaste | keyrot revoke --secret-stdin rotation-plans/\n  keyrot revoke --delete --key AKIAEXAMPLE rotation-plans/   # after the soak')
    .action(async (plans: string[], opts) => setExit(await (await import('./commands/revoke.js')).revokeCommand(plans, opts, wiring))));

  for (const [name, description] of [
    ['rollback', 'reactivate the old key while it is only deactivated (and serve it again); the rotation holds'],
    ['approve', 'allow the permanent delete of a plan that requires approval (delete.requireApproval)'],
    ['abandon', 'stop the rotation in flight where it stands, leaving the keys as they are'],
  ] as const) {
    common(keyrot
      .command(name)
      .description(description)
      .argument('<plan>', 'the plan file, or its name (looked up in ./ and rotation-plans/)')
      .addOption(waitLockOption())
      .addOption(stateOption())
      .addOption(new Option('--retire-new', 'abandon only: also retire (delete) the new key, when no target serves it').hideHelp(name !== 'abandon'))
      .action(async (plan: string, opts) => setExit(await (await import('./commands/operator.js')).operatorCommand(name, [plan], opts, wiring))));
  }
}

/** Commands that look without touching: validate, plan, doctor, status, history. */
function inspectionCommands(keyrot: Command, setExit: (code: number) => void, wiring: Wiring): void {
  common(keyrot
    .command('validate')
    .description('check plans against the schema; every problem is listed as file:line:col')
    .argument('<plans...>', 'plan files, folders of them, or plan names; - reads one plan from stdin')
    .action(async (plans: string[], opts) => setExit(await (await import('./commands/validate.js')).validateCommand(plans, opts))));

  common(keyrot
    .command('plan')
    .description('dry run: what each phase would do, the provider calls it makes, and any gate that would hold')
    .argument('<plans...>', 'plan files, folders of them, or plan names')
    .addOption(stateOption())
    .action(async (plans: string[], opts) => setExit(await (await import('./commands/plan.js')).planCommand(plans, opts, wiring))));

  common(keyrot
    .command('doctor')
    .description('preflight, no side effects: credentials and whose they are, endpoints, permissions, key count, least privilege; every problem at once')
    .argument('[plans...]', 'plan files, folders or names (default: rotation-plans/, else this folder)')
    .addOption(stateOption())
    .addHelpText('after', '\nExit 0 when every check passes (warnings allowed), 4 when a provider check fails, 2 for invalid plans.\n' +
      'A check the endpoint or the caller cannot answer (IAM SimulatePrincipalPolicy on a test server) is shown as not checked.\n' +
      'Examples:\n  keyrot doctor rotation-plans/\n  keyrot doctor --json rotation-plans/payments.yaml')
    .action(async (plans: string[], opts) => setExit(await (await import('./commands/doctor.js')).doctorCommand(plans, opts, wiring))));

  common(keyrot
    .command('status')
    .description('every plan named: its active key\'s age against schedule.maxAge (overdue stands out), the last outcome; rotations in flight: phase, keys, next action and when')
    .argument('[plans...]', 'plan files, folders or names (default: the rotations in the .keyrot/ state folder here or in rotation-plans/)')
    .addOption(stateOption())
    .addOption(metricsFileOption())
    .addHelpText('after', '\nExit 4 when a plan\'s issuer could not be asked (the rest is still shown).\nExamples:\n  keyrot status rotation-plans/\n  keyrot status --metrics-file /var/lib/node_exporter/textfile_collector/keyrot.prom rotation-plans/')
    .action(async (plans: string[], opts) => setExit(await (await import('./commands/status.js')).statusCommand(plans, opts, wiring))));

  common(keyrot
    .command('history')
    .description('the audit log: every side effect, newest last, filtered by plan and age')
    .argument('[plan]', 'a plan file or a plan name (default: every plan in the state folder)')
    .option('--since <when>', 'only records newer than this: a duration (7d, 12h) or a date (2026-01-31)')
    .addOption(stateOption())
    .addHelpText('after', '\nWith --output json: one JSON object per record (NDJSON), as stored.\nExamples:\n  keyrot history --since 7d\n  keyrot history payments-aws --json')
    .action(async (plan: string | undefined, opts) => setExit(await (await import('./commands/history.js')).historyCommand(plan, opts, wiring))));
}

/** Commands around the rotation: moving state, a plan to start from, shell completion, the schema. */
function setupCommands(keyrot: Command, setExit: (code: number) => void, wiring: Wiring): void {
  common(keyrot
    .command('state')
    .description('where keyrot keeps state: move it from a folder to Vault')
    .command('migrate')
    .description('move every plan\'s rotation state, generated-key ledger and audit history from a state folder to another store; refuses while a rotation holds a lock')
    .requiredOption('--from <dir>', 'the state folder to move, e.g. rotation-plans/.keyrot')
    .requiredOption('--to <vault://mount/prefix>', 'where state lives from now on (address and token as for --state)')
    .addHelpText('after', '\nNothing at the destination is overwritten; a move cut short can be run again.\nExamples:\n  keyrot state migrate --from rotation-plans/.keyrot --to vault://secret/keyrot')
    .action(async (opts) => setExit(await (await import('./commands/state.js')).stateMigrateCommand(opts, wiring))));

  keyrot
    .command('init')
    .description('print a plan to start from, for an issuer and its stores (asks at a terminal for what the flags leave out)')
    .addOption(new Option('--issuer <type>', 'where keys are minted').choices(['aws-iam', 'generated', 'http', 'postgresql', 'mysql', 'redis']))
    .option('--user <name>', 'aws-iam: the IAM user whose access keys are rotated; postgresql, mysql: NAME of the login pair NAME_blue/NAME_green; redis: the ACL user')
    .option('--preset <name>', 'http: the vendor preset, e.g. vault-approle')
    .option('--store <type:where>', `a publish target, repeatable: ${Object.values(STORE_FORMS).join('; ')}`,
      (v: string, all: string[] = []) => [...all, v])
    .option('--region <region>', 'AWS region for aws-iam, aws-secrets-manager and aws-ssm', 'us-east-1')
    .option('--name <plan>', 'the plan name (default: from the user or the first store)')
    .option('--max-age <duration>', 'schedule.maxAge: with --due, rotate when the active key is older', '30d')
    .option('--schema <path>', 'the schema path the editor comment names (default: the one keyrot ships)')
    .addHelpText('after', '\nExamples:\n  keyrot init --issuer aws-iam --user payments-service --store vault-kv2:secret/payments/aws > payments.yaml\n' +
      '  keyrot init --issuer generated --store file:keys.json | keyrot validate -')
    .action(async (opts) => setExit(await (await import('./commands/init.js')).initCommand(opts)));

  keyrot
    .command('completion')
    .description('print a shell completion script (commands, flags, plan files)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .addHelpText('after', '\nExamples:\n  source <(keyrot completion bash)            # in ~/.bashrc\n' +
      '  keyrot completion zsh > "${fpath[1]}/_keyrot"\n  keyrot completion fish > ~/.config/fish/completions/keyrot.fish')
    .action(async (shell: string) => setExit((await import('./commands/completion.js')).completionCommand(shell, keyrot)));

  common(keyrot
    .command('schema')
    .description('print the rotation plan JSON Schema (for editors and CI checks)')
    .action(async () => setExit(await (await import('./commands/schema.js')).schemaCommand())));
}

function program(format: OutputFormat, setExit: (code: number) => void, wiring: Wiring): Command {
  const keyrot = new Command('keyrot')
    .description('Zero-downtime rotation of API keys and cloud credentials, driven by YAML plans.\n\n' +
      `  ${PHASE_NAMES.filter((p) => p !== 'revoke').join(' -> ')}`)
    .version(version())
    .showHelpAfterError(format === 'json' ? false : '(run `keyrot --help` for usage)')
    .addHelpText('after', `${EXIT_CODES_HELP}\n\nEvery command takes --output text|plain|json (JSON shapes: schema/*.schema.json) and --no-color.`)
    // With --output json a usage error is a JSON document on stdout (see main), not text on stderr.
    .configureOutput({ outputError: (text, write) => (format === 'json' ? undefined : write(text)) })
    .exitOverride();
  rotationCommands(keyrot, setExit, wiring);
  inspectionCommands(keyrot, setExit, wiring);
  setupCommands(keyrot, setExit, wiring);
  // A usage error names the help of the command that met it (`keyrot run --help`), not the list of commands.
  const helpOf = (command: Command, words: string[]): void => {
    for (const sub of command.commands) {
      const name = [...words, sub.name()];
      if (format !== 'json') sub.showHelpAfterError(`(run \`keyrot ${name.join(' ')} --help\` for usage)`);
      helpOf(sub, name);
    }
  };
  helpOf(keyrot, []);
  return keyrot;
}

/** `wiring`: what the entry point installs (bin/keyrot.js nothing; the crash tests' entry point a store decorator). */
export async function main(argv: string[], wiring: Wiring = {}): Promise<void> {
  keepHeapNearLiveData();
  installOutputFilter();
  installInvocation(process.env);
  applyColorChoice(argv);
  const format = outputFromArgv(argv);
  // A reader that goes away early (`keyrot history | head`) is not an error. keyrot goes on without its
  // output (later writes to the closed stream are dropped) rather than exit there: a run mid-rotation
  // finishes its step, saves and releases its locks, and exits with its own code.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
  let code: number = EXIT.ok;
  try {
    await program(format, (c) => (code = c), wiring).parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      code = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
      if (code !== EXIT.ok && format === 'json') printError(new KeyrotError('usage', { problem: e.message.replace(/^error: /, ''), command: e.code === 'commander.unknownCommand' ? undefined : commandNameIn(argv) }), format);
    } else {
      // A hint that says to look at the help, or to run the command again, names this command.
      if (isKeyrotError(e, 'usage')) e.details.command ??= commandNameIn(argv);
      if (isKeyrotError(e, 'interrupted')) e.details.command ??= typedCommand();
      printError(e, format);
      code = e instanceof KeyrotError ? e.exitCode : EXIT.internal;
    }
  }
  process.exitCode = code;
  // Exit once the output is flushed: a provider call given up on (revoke's owner search times out a
  // plan whose endpoint is down) must not keep the process alive, retrying in the background.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
