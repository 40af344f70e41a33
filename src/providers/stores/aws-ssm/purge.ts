// Removing every copy of a retired key from a parameter's history. Parameter Store cannot delete one
// version (botocore's ssm 2014-11-06 model has DeleteParameter and DeleteParameters, each for a whole
// parameter, and asks to wait 30 seconds before the name is created again). It keeps the newest 100
// versions and drops the oldest when a write would make 101, unless that oldest version carries a label
// (then the write fails, ParameterMaxVersionLimitExceeded). So: take keyrot's labels off the old versions,
// refuse if someone else's label would hold one back, then write the current value again until the latest
// version number is 100 past the newest version that held the old key.
import { KeyrotError } from '../../../errors.js';
import type { RetireResult } from '../../types.js';
import type { ParameterApi, Version } from './client.js';
import { T } from '../aws-tags.js';
import { OURS, writesToPushOut } from './versions.js';
import { count } from '../../../shared/plural.js';

export interface PushOut {
  label: string;
  name: string;
  /** Every version, oldest first. */
  versions: Version[];
  /** The versions to remove (never the latest). */
  held: Version[];
  tags: Record<string, string>;
  note(message: string): void;
}

export async function pushOut(api: ParameterApi, p: PushOut): Promise<RetireResult> {
  const latest = p.versions.at(-1)!;
  const top = Math.max(...p.held.map((v) => v.version));
  const doomed = p.versions.filter((v) => v.version <= top);
  const foreign = doomed.find((v) => v.labels.some((l) => !OURS.has(l)));
  if (foreign) {
    const theirs = foreign.labels.filter((l) => !OURS.has(l)).join(', ');
    throw new KeyrotError('provider-failed', {
      provider: p.label,
      operation: 'ssm:PutParameter',
      reason: `version ${foreign.version} carries the label ${theirs}, and Parameter Store never drops a labelled version, so the old key's versions cannot be pushed out of the history; ` +
        `move that label to the latest version (\`aws ssm label-parameter-version --name ${p.name} --parameter-version ${latest.version} --labels ${theirs}\`)`,
    });
  }
  for (const v of doomed.filter((d) => d.labels.length > 0)) await api.unlabel(v.version, v.labels);

  const writes = writesToPushOut(latest.version, top);
  const current = await api.current();
  if (!current) return 'changed'; // deleted meanwhile: no copy left either
  p.note(`${p.label}: writing the current value ${count(writes, 'more time')}, so versions up to ${top} (the old key's) fall out of the 100-version history`);
  let version = current.version;
  for (let i = 0; i < writes; i++) {
    const written = await api.put({ value: current.value, description: latest.description }, [current.value]);
    if (written !== 'exists') version = written;
  }
  // The value keyrot wrote is the latest still, at a new version number.
  if (p.tags[T.version] === String(latest.version)) await api.tag({ [T.version]: String(version) });
  return 'changed';
}
