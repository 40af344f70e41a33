// Issue 25, item 13: the harness's file walk raced a lock takeover ("kill 46 of 100" failed with
// ENOENT … stat '…/locks/sigkill-1.lock.old-…/holder.json') and the report called that a run that
// lost something. The walk now takes a file or folder that vanished between the listing and the look
// as gone; any other error is still raised (a harness that hides its own failures proves nothing).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filesUnder, type Look } from './kit.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-walk-'));
  mkdirSync(path.join(dir, 'locks', 'a.lock'), { recursive: true });
  writeFileSync(path.join(dir, 'locks', 'a.lock', 'holder.json'), '{}');
  writeFileSync(path.join(dir, 'audit.jsonl'), '');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const errno = (code: string) => Object.assign(new Error(`${code}: gone`), { code });

describe('the harness walk over keyrot\'s files', () => {
  it('lists every file', () => {
    expect(filesUnder(dir).map((f) => path.relative(dir, f)).sort()).toEqual(['audit.jsonl', path.join('locks', 'a.lock', 'holder.json')]);
  });

  it.each(['ENOENT', 'ENOTDIR'])('skips a folder renamed away (%s) between the listing and the look, and a file too', (code) => {
    const racing: Look = {
      list: (d) => (d.endsWith('a.lock') ? (() => { throw errno(code); })() : [...(d === dir ? ['audit.jsonl', 'locks', 'vanished.tmp'] : ['a.lock'])]),
      isDirectory: (at) => {
        if (at.endsWith('vanished.tmp')) throw errno(code);
        return !at.endsWith('.jsonl');
      },
    };
    expect(filesUnder(dir, racing).map((f) => path.relative(dir, f))).toEqual(['audit.jsonl']);
  });

  it('raises anything else: a harness error is not hidden', () => {
    const denied: Look = { list: () => { throw errno('EACCES'); }, isDirectory: () => false };
    expect(() => filesUnder(dir, denied)).toThrow(/EACCES/);
  });
});
