// aws-ssm's publish: a new version of the parameter (or the parameter itself, tagged, when there is
// none). The tags are claimed and the replaced version labelled keyrot-previous before the write, so a
// run that dies after them finds them saying what the next version holds; publishing what is there
// already only finishes the tags.
import { KeyrotError } from '../../../errors.js';
import type { Credential, Ownership, PublishContext } from '../../types.js';
import type { SecretValue } from '../secret-value.js';
import type { ParameterApi } from './client.js';
import { claimTags, T } from '../aws-tags.js';
import { describeVersion, PREVIOUS } from './versions.js';

export interface Publisher {
  api: ParameterApi;
  shape: SecretValue;
  label: string;
  adopt: boolean;
  ownershipOf(tags: Record<string, string>): Ownership;
  keyIdOfLatest(latest: { version: number; value: string }, tags: Record<string, string>): Promise<string>;
}

export async function publishTo(p: Publisher, credential: Credential, context: PublishContext): Promise<void> {
  const { api, label } = p;
  const text = p.shape.render(credential, context.rotatedAt);
  const sensitive = [credential.secret, text];
  const description = describeVersion(context.plan, credential.keyId);
  const claim = (version: number, replaced?: { version: number; keyId: string }): Record<string, string> =>
    claimTags(credential, context, String(version), replaced && { version: String(replaced.version), keyId: replaced.keyId });

  let latest = await api.current();
  if (!latest) {
    if ((await api.put({ value: text, description, create: claim(1) }, sensitive)) !== 'exists') return;
    latest = await api.current(); // created meanwhile (another writer, or our own earlier request)
    if (!latest) throw new KeyrotError('store-conflict', { store: `${label} (created and deleted while keyrot was publishing)` });
  }
  const tags = await api.tags();
  const owner = p.ownershipOf(tags);
  if (owner.state === 'unmanaged' && !p.adopt) throw new KeyrotError('store-unmanaged', { store: label, detail: owner.detail });

  const latestKey = await p.keyIdOfLatest(latest, tags);
  if (p.shape.secretOf(latest.value) === credential.secret && latestKey === credential.keyId) {
    // Published already; a run that died between the write and the tags left them behind: finish them.
    if (tags[T.keyId] !== credential.keyId || tags[T.version] !== String(latest.version)) await api.tag(claim(latest.version));
    return;
  }
  const expected = latest.version + 1;
  await api.tag(claim(expected, { version: latest.version, keyId: latestKey }));
  await api.label(latest.version, PREVIOUS);
  const written = await api.put({ value: text, description }, sensitive);
  if (written !== expected) await api.tag({ [T.version]: String(written) }); // another writer slipped in between
}
