// Messages of the state stores: a record keyrot cannot use, a disk that refuses, a move to Vault.
import { EXIT } from './exit.js';
import { planArg, s, spec, type Text } from './spec.js';

export const stateMessages = {
  'state-corrupt': spec<{ path: Text; reason: Text; newer?: boolean }>(EXIT.usage,
    (d) => `state file ${s(d.path)} is not a rotation record keyrot can use: ${s(d.reason)}`,
    (d) =>
      d.newer
        ? `run the newer keyrot that wrote it, or restore ${s(d.path)} from a backup`
        : `restore it from a backup, or \`keyrot abandon ${planArg(d)}\` to set it aside and end that rotation with the keys as they are (\`keyrot history ${planArg(d)}\` shows what was done)`),
  'state-io': spec<{ verb?: Text; reason: Text; path: Text; fix: Text }>(EXIT.provider,
    (d) => `could not ${s(d.verb ?? 'write')} state: ${s(d.reason)} (${s(d.path)})`,
    (d) => `the state file is as it was before this step. ${s(d.fix)}, then re-run \`keyrot run ${planArg(d)}\``),
  'metrics-file': spec<{ path: Text; reason: Text }>(EXIT.provider,
    (d) => `could not write the metrics file ${s(d.path)}: ${s(d.reason)}`,
    () => 'pass --metrics-file a path in a folder keyrot may write, e.g. node_exporter\'s textfile collector folder (…/textfile_collector/keyrot.prom)'),
  'state-folder-invalid': spec<{ path: Text; reason: Text }>(EXIT.usage,
    (d) => `cannot keep state in ${s(d.path)}: ${s(d.reason)}`,
    () => 'pass `--state DIR` naming a folder on a local disk keyrot can create (or move the file in the way aside)'),
  'state-folder-missing': spec<{ path: Text; command: Text }>(EXIT.usage,
    (d) => `state folder ${s(d.path)} (--state or KEYROT_STATE) does not exist: keyrot ${s(d.command)} has nothing to read there`,
    () => 'check the path for a typo: it is the folder a run with `--state DIR` wrote (a run creates it); without --state, keyrot reads .keyrot/ beside each plan'),
  'state-conflict': spec<{ plan: Text; expected: Text; found: Text }>(EXIT.refused,
    (d) => `state of plan ${s(d.plan)} changed under this run (version ${s(d.expected)} expected, ${s(d.found)} found)`,
    (d) => `another process wrote it: check \`keyrot status ${planArg(d)}\`, then re-run`),
  'state-migrate-taken': spec<{ to: Text; what: Text; plan: Text }>(EXIT.refused,
    (d) => `${s(d.to)} already holds ${s(d.what)} of plan ${s(d.plan)}; keyrot state migrate never overwrites one`,
    (d) => `the plan's state already lives in ${s(d.to)}: nothing was copied for it. Run keyrot with that --state from now on, or migrate this folder to another prefix`),
};
