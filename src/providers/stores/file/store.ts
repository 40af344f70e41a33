// A local JSON file that consumers read. It holds the current key and, during the overlap, the
// previous one: consumers accept both. A deactivated key moves to `retired`, which consumers must
// not accept, and is kept only so a rollback can serve it again; delete removes it.
import { lstatSync, readFileSync, statSync, type Stats } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { KeyrotError } from '../../../errors.js';
import { fileSignature, writeAtomic, type FileSignature, type WriteOptions } from '../../../shared/atomic-file.js';
import type { Credential, Ownership, ProviderContext, PublishContext, RetireResult, SecretStore } from '../../types.js';
import type { FileStoreConfig } from './schema.js';

const MARKER = 'keyrot';

interface Entry extends Credential {
  publishedAt: string;
}

interface FileContent {
  managedBy?: string;
  plan?: string;
  current?: Entry;
  previous?: Entry;
  retired?: Entry;
}

/** Folders this process has made sure of: a fleet run publishes hundreds of plans' files into one. */
const foldersMade = new Set<string>();

/** writeAtomic into `file`, its folder made on the first write into it (a rotation writes the file
 *  three times, a fleet run many files into one folder), and again if it went away since; answers
 *  the written file's stat. */
function folderWriter(file: string): (text: string, seen?: WriteOptions['seen']) => Promise<Stats> {
  const folder = path.dirname(file);
  const makeFolder = () => mkdir(folder, { recursive: true, mode: 0o700 }).then(() => foldersMade.add(folder));
  return async (text, seen) => {
    if (!foldersMade.has(folder)) await makeFolder();
    return writeAtomic(file, text, seen ? { seen } : {}).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
      await makeFolder();
      return writeAtomic(file, text);
    });
  };
}

/** What is at the path, as writeAtomic's own look would find it (lstat: a link is a link there). */
type Look = WriteOptions['seen'];

/**
 * Reads the file, remembering what this process last read or wrote there and which file that was (as
 * the state store remembers its records): a rotation reads the file six times more, each right after
 * its own write or read. While a stat finds the same file (inode, size, mtime: writeAtomic makes a new
 * inode each time), its text is the one remembered; anyone else's write, even through another link,
 * is read again. Each read also answers its look, for a write that follows to take over.
 */
function fileReader(file: string, shown: string) {
  let known: { file: FileSignature; text: string } | undefined;

  /** The stat comes first: if the file changes in between, the next read sees another file and reads it again. */
  async function readText(): Promise<{ text: string; seen: Look }> {
    // The looks are synchronous (they answer from memory), and so is reading a regular file of a few
    // hundred bytes; anything else there (a pipe would block a read until someone writes) is read
    // through the thread pool, as before.
    const at = lstatSync(file);
    // Through a link, the file it points to is the one remembered; writeAtomic looks at a link itself.
    const pointed = at.isSymbolicLink() ? statSync(file) : at;
    const now = fileSignature(pointed);
    const seen = at.isFile() ? { stats: at } : undefined;
    if (known?.file === now) return { text: known.text, seen };
    const text = pointed.isFile() ? readFileSync(file, 'utf8') : await readFile(file, 'utf8');
    known = { file: now, text };
    return { text, seen };
  }

  return {
    async look(): Promise<{ content: FileContent | undefined; seen: Look }> {
      let read: { text: string; seen: Look };
      try {
        read = await readText();
      } catch (e) {
        known = undefined;
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { content: undefined, seen: undefined };
        throw new KeyrotError('provider-failed', { provider: `file ${shown}`, operation: 'read', reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message });
      }
      try {
        return { content: JSON.parse(read.text) as FileContent, seen: read.seen };
      } catch {
        return { content: {}, seen: read.seen }; // not ours: a file keyrot wrote always parses
      }
    },
    /** This process wrote `text` and writeAtomic answered `stats`; undefined: what is there is not known. */
    wrote(written: { stats: Stats; text: string } | undefined): void {
      known = written ? { file: fileSignature(written.stats), text: written.text } : undefined;
    },
  };
}

export function createFileStore(config: FileStoreConfig, ctx: ProviderContext): SecretStore {
  const file = path.resolve(ctx.planDir, config.path);
  const shown = path.relative(process.cwd(), file) || file;
  const { look, wrote } = fileReader(file, shown);
  const read = async (): Promise<FileContent | undefined> => (await look()).content;

  // Durable when it returns (temp file, fsync, rename; the folder fsync'd when the file is new): the
  // engine records a publish, and later retires the old key, on the strength of this write. `seen` is
  // the look of the read just before it, when that found a regular file: not asked again.
  const writeInFolder = folderWriter(file);
  async function write(content: FileContent, seen: Look): Promise<void> {
    const text = `${JSON.stringify({ ...content, managedBy: MARKER, plan: ctx.planName }, null, 2)}\n`;
    wrote(undefined); // a failed write may or may not have replaced the file: read it again
    wrote({ stats: await writeInFolder(text, seen), text });
  }

  /** Move the entry holding `keyId`, from whichever of the `from` slots serve it, to `to`: one read, one write; a no-op if none does. */
  async function move(keyId: string, from: Array<'previous' | 'retired' | 'current'>, to: 'previous' | 'retired'): Promise<RetireResult> {
    const { content, seen } = await look();
    const slots = from.filter((slot) => content?.[slot]?.keyId === keyId);
    if (!content || slots.length === 0) return 'unchanged';
    const next: FileContent = { ...content };
    for (const slot of slots) {
      next[to] = next[slot];
      delete next[slot];
    }
    await write(next, seen);
    return 'changed';
  }

  return {
    label: `file ${shown}`,

    async ownership(): Promise<Ownership> {
      const content = await read();
      if (!content) return { state: 'absent' };
      if (content.managedBy !== MARKER) return { state: 'unmanaged', detail: 'the file has no "managedBy": "keyrot" marker' };
      // Another plan's file is not ours either: the two would take turns dropping each other's key.
      if (content.plan !== ctx.planName) return { state: 'unmanaged', detail: `it is managed by keyrot plan "${content.plan}"` };
      return { state: 'managed', plan: content.plan, keyId: content.current?.keyId };
    },

    async publish(credential: Credential, context: PublishContext) {
      const { content = {}, seen } = await look();
      const ours = content.managedBy === MARKER && content.plan === ctx.planName;
      if (Object.keys(content).length > 0 && !ours && !config.adopt) {
        throw new KeyrotError('store-unmanaged', { store: `file ${shown}`, detail: content.managedBy === MARKER ? `managed by keyrot plan "${content.plan}"` : 'no "managedBy": "keyrot" marker' });
      }
      if (content.current?.keyId === credential.keyId) return; // already published
      const entry: Entry = { keyId: credential.keyId, secret: credential.secret, publishedAt: context.rotatedAt.toISOString() };
      await write({ current: entry, previous: content.current, retired: content.retired }, seen);
    },

    async readBack() {
      const current = (await read())?.current;
      return current ? { keyId: current.keyId, secret: current.secret } : undefined;
    },

    // Wherever the old key is served (previous, or current if the new key never took its place), it moves to retired.
    onDeactivate: (oldKeyId) => move(oldKeyId, ['previous', 'current'], 'retired'),

    onReactivate: (oldKeyId) => move(oldKeyId, ['retired'], 'previous'),

    async onDelete(oldKeyId) {
      const { content, seen } = await look();
      if (!content || (content.previous?.keyId !== oldKeyId && content.retired?.keyId !== oldKeyId)) return 'unchanged';
      const keep = (e: Entry | undefined) => (e?.keyId === oldKeyId ? undefined : e);
      await write({ current: content.current, previous: keep(content.previous), retired: keep(content.retired) }, seen);
      return 'changed';
    },

    explain(op) {
      const verbs = {
        ownership: 'read and check the managedBy marker',
        publish: 'write the new key as current, keep the old one as previous',
        readBack: 'read the current key',
        onDeactivate: 'stop serving the old key (previous -> retired)',
        onReactivate: 'serve the old key again (retired -> previous)',
        onDelete: 'remove every copy of the old key',
      } as const;
      return `file ${shown}: ${verbs[op]}`;
    },
  };
}
