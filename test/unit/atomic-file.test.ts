// The atomic write under every state file, ledger and the file target (src/state/atomic-file.ts).
import { chownSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeAtomic } from '../../src/shared/atomic-file.js';

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

  it.runIf(process.getuid?.() === 0)('run as root, keeps the owner of a file another user owns', async () => {
    const file = path.join(dir, 'service.json');
    writeFileSync(file, 'old\n');
    chownSync(file, 1234, 1234);
    await writeAtomic(file, 'new\n');
    expect([statSync(file).uid, statSync(file).gid]).toEqual([1234, 1234]);
  });
});
