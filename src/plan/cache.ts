// Plans this build of keyrot has already validated, remembered by the SHA-256 of their file's text,
// so a cron tick over a folder of 10,000 plans reads them instead of parsing YAML and checking the
// schema 10,000 times (issue 27: that was most of a quiet tick, and `validate` never needed zod).
//
// Trust: an entry says "this text is a valid plan, and this is what it means", and keyrot acts on
// what it means (where secrets are published, which commands run). So the cache lives only where no
// one but this user can write: the user's own cache folder (XDG_CACHE_HOME or ~/.cache, never the
// state folder a cron job shares), used only when that folder and the file are owned by this user
// and writable by no one else (checked on the open file, symlinks refused), as ssh checks its keys.
// Whoever can write there can already change this user's crontab. Plans hold no secret (a plan with
// a literal credential is invalid, and only valid plans are kept), so neither does the cache.
// KEYROT_PLAN_CACHE=off turns it off; KEYROT_PLAN_CACHE=<folder> puts it elsewhere.
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { writeAtomic } from '../shared/atomic-file.js';
import type { Plan } from './schema.js';

/** Set by the bundler (scripts/bundle.mjs) from every compiled file and the bundled libraries' versions. */
declare const KEYROT_BUILD_ID: string | undefined;

const MAX_CACHE_BYTES = 64 * 1024 * 1024;

interface Entry {
  hash: string;
  plan: Plan;
}

/** One folder's plans, by file name: what the cache file of that folder holds. */
interface FolderFile {
  build: string;
  folder: string;
  plans: Record<string, Entry>;
}

export interface PlanCache {
  /** The plan validated from exactly this text of `file`, if this build has seen it. */
  get(file: string, hash: string): Plan | undefined;
  /** Remember a plan just validated from `file`'s text. */
  put(file: string, hash: string, plan: Plan): void;
  /** Write what changed (never fails: a cache that cannot be written is only slower). */
  save(): Promise<void>;
}

const euid = () => process.geteuid?.();

/** Owned by this user and writable by no one else. */
const private_ = (s: { uid: number; mode: number }) => s.uid === euid() && (s.mode & 0o022) === 0;

/** The folder's cache file's content, if it can be trusted; undefined otherwise. */
function readTrusted(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile() || !private_(info) || info.size > MAX_CACHE_BYTES) return undefined;
    const buffer = Buffer.allocUnsafe(info.size);
    let length = 0;
    while (length < info.size) {
      const n = readSync(fd, buffer, length, info.size - length, null);
      if (n === 0) break;
      length += n;
    }
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The cache of plans in `root` for this `build`: one file per plan folder. */
export function openPlanCache(root: string, build: string): PlanCache | undefined {
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    const info = lstatSync(root);
    if (!info.isDirectory() || !private_(info)) return undefined;
  } catch {
    return undefined;
  }
  const folders = new Map<string, FolderFile>();
  const changed = new Set<string>();
  const fileOf = (folder: string) => path.join(root, `${createHash('sha256').update(folder).digest('hex').slice(0, 32)}.json`);
  /** The absolute folder of each folder named (10,000 plans in one folder: resolved once, not per plan). */
  const resolved = new Map<string, string>();
  const folderOf = (file: string): FolderFile => {
    const named = path.dirname(file);
    let folder = resolved.get(named);
    if (folder === undefined) resolved.set(named, (folder = path.resolve(named)));
    let found = folders.get(folder);
    if (!found) {
      let stored: FolderFile | undefined;
      try {
        stored = JSON.parse(readTrusted(fileOf(folder)) ?? 'null') as FolderFile | undefined;
      } catch {
        stored = undefined; // cut short or garbled: start again
      }
      found = stored && stored.build === build && stored.folder === folder && typeof stored.plans === 'object' ? stored : { build, folder, plans: {} };
      folders.set(folder, found);
    }
    return found;
  };
  return {
    get(file, hash) {
      const entry = folderOf(file).plans[path.basename(file)];
      return entry?.hash === hash ? entry.plan : undefined;
    },
    put(file, hash, plan) {
      // Only what JSON gives back as it was (a transform that made a Date or left an undefined would not).
      if (!isDeepStrictEqual(JSON.parse(JSON.stringify(plan)), plan)) return;
      const folder = folderOf(file);
      folder.plans[path.basename(file)] = { hash, plan };
      changed.add(folder.folder);
    },
    async save() {
      for (const folder of changed) await writeAtomic(fileOf(folder), JSON.stringify(folders.get(folder))).catch(() => undefined);
      changed.clear();
    },
  };
}

/** Where this user's cache is, or undefined when there is none to use (KEYROT_PLAN_CACHE=off, Windows). */
export function planCacheRoot(env: NodeJS.ProcessEnv): string | undefined {
  const setting = env.KEYROT_PLAN_CACHE;
  if (setting === 'off' || euid() === undefined) return undefined;
  if (setting) return path.resolve(setting);
  const base = env.XDG_CACHE_HOME || (process.platform === 'darwin' ? path.join(os.homedir(), 'Library', 'Caches') : path.join(os.homedir(), '.cache'));
  return path.join(base, 'keyrot', 'plans');
}

/** The cache the CLI uses: only in a bundled build (which knows its own id), where the environment allows it. */
export function defaultPlanCache(env: NodeJS.ProcessEnv = process.env): PlanCache | undefined {
  const build = typeof KEYROT_BUILD_ID === 'string' ? KEYROT_BUILD_ID : undefined;
  const root = build ? planCacheRoot(env) : undefined;
  return root && build ? openPlanCache(root, build) : undefined;
}
