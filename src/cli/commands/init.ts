// keyrot init: print a plan to start from. Flags say what it is for; at a terminal, what they leave
// out is asked (on stderr, so `keyrot init > plan.yaml` still asks).
import { fstatSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { isKeyrotError, KeyrotError } from '../../errors.js';
import { EXIT } from '../../messages.js';
import { packageFile } from '../../package-file.js';
import { PRESET_LIST, SCAFFOLD_ISSUERS, STORE_FORMS, scaffoldPlan, type ScaffoldIssuer, type ScaffoldOptions } from '../../engine/operations/scaffold.js';
import { canAsk } from '../confirm.js';

export interface InitOptions {
  issuer?: string;
  user?: string;
  preset?: string;
  region?: string;
  name?: string;
  store?: string[];
  maxAge?: string;
  schema?: string;
}

/** The file stdout is redirected to (`keyrot init … > plans/payments.yaml`), where the system can tell. */
function outputFile(): string | undefined {
  try {
    return fstatSync(1).isFile() ? realpathSync('/proc/self/fd/1') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The schema keyrot ships (schema/ beside dist/), as the editor comment names it: relative to the
 * plan file being written when stdout is one (so a plan in a subfolder finds it too), else to here.
 */
const shippedSchema = () => {
  const schema = packageFile('schema/rotation-plan.schema.json');
  const written = outputFile();
  return path.relative(written ? path.dirname(written) : process.cwd(), schema) || 'rotation-plan.schema.json';
};

/** The questions' wording for the user (or role pair) an issuer needs; issuers not named need none. */
const USER_QUESTIONS: Record<string, string> = {
  'aws-iam': 'IAM user whose keys are rotated',
  postgresql: 'name of the role pair (NAME_blue, NAME_green)',
  mysql: 'name of the user pair (NAME_blue, NAME_green)',
  redis: 'ACL user whose password is rotated',
};

/** Tries at the questions before a wrong answer ends keyrot init as a wrong flag would. */
const TRIES = 3;

async function ask(flags: InitOptions): Promise<ScaffoldOptions> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // At a terminal readline reads in raw mode: Ctrl-C reaches it as a key, and Ctrl-D ends the input.
  const interrupted = new AbortController();
  rl.on('SIGINT', () => interrupted.abort());
  /** A question, with the answer given before (Enter keeps it) in brackets. */
  const question = async (text: string, before?: string) =>
    (await rl.question(`${text}${before ? ` [${before}]` : ''}: `, { signal: interrupted.signal })).trim() || (before ?? '');
  try {
    let answers: InitOptions = {};
    for (let attempt = 1; ; attempt++) {
      const issuer = flags.issuer ?? (await question(`issuer (${SCAFFOLD_ISSUERS.join(', ')})`, answers.issuer ?? 'aws-iam'));
      const user = flags.user ?? (USER_QUESTIONS[issuer] ? await question(USER_QUESTIONS[issuer], answers.user) : undefined);
      const preset = flags.preset ?? (issuer === 'http' ? await question(`vendor preset (${PRESET_LIST})`, answers.preset) : undefined);
      const store = flags.store?.length
        ? flags.store
        : (await question(`stores, separated by spaces (${Object.values(STORE_FORMS).join('; ')})`, answers.store?.join(' '))).split(/\s+/).filter(Boolean);
      answers = { ...flags, issuer, ...(user ? { user } : {}), ...(preset ? { preset } : {}), store };
      // A wrong answer is asked again, the others kept as its default: not the end of what was typed.
      const problem = attempt < TRIES ? problemOf(answers) : undefined;
      if (!problem) return scaffoldOptions(answers);
      process.stderr.write(`${problem}; again, please (Enter keeps the answer in brackets)\n`);
    }
  } catch (e) {
    // Either key stops keyrot init with nothing written, not as a bug: Ctrl-C as an interruption (130).
    if ((e as NodeJS.ErrnoException).code !== 'ABORT_ERR') throw e;
    process.stderr.write('\n');
    throw new KeyrotError(interrupted.signal.aborted ? 'init-interrupted' : 'init-input-ended', {});
  } finally {
    rl.close();
  }
}

/** What scaffoldPlan would refuse in these answers (its usage problem), or undefined. */
function problemOf(answers: InitOptions): string | undefined {
  try {
    scaffoldPlan(scaffoldOptions(answers));
    return undefined;
  } catch (e) {
    if (!isKeyrotError(e, 'usage')) throw e;
    return String(e.details.problem);
  }
}

function scaffoldOptions(opts: InitOptions): ScaffoldOptions {
  return {
    issuer: (opts.issuer ?? '') as ScaffoldIssuer,
    stores: opts.store ?? [],
    schemaPath: opts.schema ?? shippedSchema(),
    ...(opts.user ? { user: opts.user } : {}),
    ...(opts.preset ? { preset: opts.preset } : {}),
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.maxAge ? { maxAge: opts.maxAge } : {}),
  };
}

export async function initCommand(flags: InitOptions): Promise<number> {
  const missing = !flags.issuer || !flags.store?.length;
  if (missing && !canAsk()) {
    // Nobody to ask (stdin is not a terminal): say which flags are missing, not `unknown issuer ""`.
    const need = [!flags.issuer ? `--issuer (${SCAFFOLD_ISSUERS.join(', ')})` : '', !flags.store?.length ? '--store (one or more)' : ''].filter(Boolean).join(' and ');
    throw new KeyrotError('usage', { problem: `keyrot init needs ${need} when there is no terminal to ask, e.g. \`keyrot init --issuer generated --store file:keys.json > plan.yaml\``, command: 'init' });
  }
  process.stdout.write(scaffoldPlan(missing ? await ask(flags) : scaffoldOptions(flags)));
  return EXIT.ok;
}
