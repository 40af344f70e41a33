// keyrot init: print a plan to start from. Flags say what it is for; at a terminal, what they leave
// out is asked (on stderr, so `keyrot init > plan.yaml` still asks).
import { fstatSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { KeyrotError } from '../../errors.js';
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

async function ask(opts: InitOptions): Promise<InitOptions> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // At a terminal readline reads in raw mode: Ctrl-C reaches it as a key, and Ctrl-D ends the input.
  const interrupted = new AbortController();
  rl.on('SIGINT', () => interrupted.abort());
  const question = (text: string) => rl.question(text, { signal: interrupted.signal });
  try {
    const issuer = opts.issuer ?? ((await question(`issuer (${SCAFFOLD_ISSUERS.join(', ')}) [aws-iam]: `)).trim() || 'aws-iam');
    const asks: Record<string, string> = { 'aws-iam': 'IAM user whose keys are rotated', postgresql: 'name of the role pair (NAME_blue, NAME_green)', mysql: 'name of the user pair (NAME_blue, NAME_green)', redis: 'ACL user whose password is rotated' };
    const user = opts.user ?? (asks[issuer] ? (await question(`${asks[issuer]}: `)).trim() : undefined);
    const preset = opts.preset ?? (issuer === 'http' ? (await question(`vendor preset (${PRESET_LIST}): `)).trim() : undefined);
    const store = opts.store?.length
      ? opts.store
      : (await question(`stores, separated by spaces (${Object.values(STORE_FORMS).join('; ')}): `)).split(/\s+/).filter(Boolean);
    return { ...opts, issuer, ...(user ? { user } : {}), ...(preset ? { preset } : {}), store };
  } catch (e) {
    // Either key stops keyrot init with nothing written, not as a bug: Ctrl-C as an interruption (130).
    if ((e as NodeJS.ErrnoException).code !== 'ABORT_ERR') throw e;
    process.stderr.write('\n');
    throw new KeyrotError(interrupted.signal.aborted ? 'init-interrupted' : 'init-input-ended', {});
  } finally {
    rl.close();
  }
}

export async function initCommand(flags: InitOptions): Promise<number> {
  const missing = !flags.issuer || !flags.store?.length;
  if (missing && !canAsk()) {
    // Nobody to ask (stdin is not a terminal): say which flags are missing, not `unknown issuer ""`.
    const need = [!flags.issuer ? `--issuer (${SCAFFOLD_ISSUERS.join(', ')})` : '', !flags.store?.length ? '--store (one or more)' : ''].filter(Boolean).join(' and ');
    throw new KeyrotError('usage', { problem: `keyrot init needs ${need} when there is no terminal to ask, e.g. \`keyrot init --issuer generated --store file:keys.json > plan.yaml\``, command: 'init' });
  }
  const opts = missing ? await ask(flags) : flags;
  const scaffold: ScaffoldOptions = {
    issuer: (opts.issuer ?? '') as ScaffoldIssuer,
    stores: opts.store ?? [],
    schemaPath: opts.schema ?? shippedSchema(),
    ...(opts.user ? { user: opts.user } : {}),
    ...(opts.preset ? { preset: opts.preset } : {}),
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.maxAge ? { maxAge: opts.maxAge } : {}),
  };
  process.stdout.write(scaffoldPlan(scaffold));
  return EXIT.ok;
}
