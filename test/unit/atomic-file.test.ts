// The atomic write under every state file, ledger and the file target (src/state/atomic-file.ts).
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotARegularFile, writeAtomic } from '../../src/shared/atomic-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeAtomic', () => {
  it('creates, then replaces, a file readable by its owner only, leaving no temporary file behind', async () => {
    const file = path.join(dir, 'a.json');
    await writeAtomic(file, 'one\n');
    const first = statSync(file);
    await writeAtomic(file, 'two\n');
    expect(readFileSync(file, 'utf8')).toBe('two\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(file).ino).not.toBe(first.ino); // a new file renamed over the old one, never rewritten in place
    expect(readdirSync(dir)).toEqual(['a.json']);
  });

  it('follows a symlink: the file it points to gets the content, the link stays a link', async () => {
    const real = path.join(dir, 'real.json');
    const link = path.join(dir, 'link.json');
    writeFileSync(real, 'old\n');
    symlinkSync(real, link);
    await writeAtomic(link, 'new\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(real);
    expect(readFileSync(real, 'utf8')).toBe('new\n');
  });

  // Issue 25, defect 9: --metrics-file pointed at a link to someone's 0600 file overwrote it, 0644.
  it('with links: refuse, writes nothing through a symlink: the file it points to keeps its content and mode', async () => {
    const secret = path.join(dir, 'elsewhere.json');
    const link = path.join(dir, 'keyrot.prom');
    writeFileSync(secret, 'private\n', { mode: 0o600 });
    symlinkSync(secret, link);
    const refused = await writeAtomic(link, 'metrics\n', { mode: 0o644, links: 'refuse' }).then(() => undefined, (e: unknown) => e);
    expect(refused).toBeInstanceOf(NotARegularFile);
    expect((refused as Error).message).toContain(`${link} is a symbolic link, not a regular file`);
    expect(readFileSync(secret, 'utf8')).toBe('private\n');
    expect(statSync(secret).mode & 0o777).toBe(0o600);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['elsewhere.json', 'keyrot.prom']);
  });

  it('with links: refuse, refuses a folder and a named pipe too, and replaces a regular file with one of the fixed mode', async () => {
    const folder = path.join(dir, 'folder.prom');
    mkdirSync(folder);
    await expect(writeAtomic(folder, 'x', { mode: 0o644, links: 'refuse' })).rejects.toThrow(/is a folder, not a regular file/);
    const fifo = path.join(dir, 'pipe.prom');
    execFileSync('mkfifo', [fifo]);
    await expect(writeAtomic(fifo, 'x', { mode: 0o644, links: 'refuse' })).rejects.toThrow(/is a named pipe, not a regular file/);
    const plain = path.join(dir, 'plain.prom');
    writeFileSync(plain, 'old\n');
    chmodSync(plain, 0o600);
    await writeAtomic(plain, 'new\n', { mode: 0o644, links: 'refuse' });
    expect(readFileSync(plain, 'utf8')).toBe('new\n');
    expect(statSync(plain).mode & 0o777).toBe(0o644);
  });

  it.runIf(process.getuid?.() === 0)('run as root, keeps the owner of a file another user owns', async () => {
    const file = path.join(dir, 'service.json');
    writeFileSync(file, 'old\n');
    chownSync(file, 1234, 1234);
    await writeAtomic(file, 'new\n');
    expect([statSync(file).uid, statSync(file).gid]).toEqual([1234, 1234]);
  });
});
