// Reading a file that may be hostile: a plan or a state record is small, so never more than a bound
// is read (a 50 MB plan, a symlink to /dev/zero), and only a regular file is opened (a named pipe
// would block the open until some writer came along). A scanner's report may come through a pipe
// (`--from-report <(gitleaks …)`): that is read on the event loop, never by a thread blocked in
// read(), which would keep even process.exit waiting (libuv joins its threads at exit), so Ctrl-C
// and SIGTERM still end keyrot while the writer says nothing.
import fs, { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';

export type BoundedText = string | 'too-large' | 'not-a-file';

/** Reused by every first read of a small file (synchronous: never two at once). */
const SCRATCH = Buffer.allocUnsafeSlow(64 * 1024);

/**
 * The file's text; 'too-large' past `max` bytes; 'not-a-file' for a folder, device or pipe.
 * Synchronous on purpose: a plan or a record is a few kB, and read through the thread pool each costs
 * four round trips (open, fstat, read, close), which made reading 10,000 plans and their records take
 * seconds (issue 27); these calls return in microseconds on a local disk.
 */
export function readBounded(file: string, max: number): BoundedText {
  // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer; fstat then refuses it.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return 'not-a-file';
    if (info.size > max) return 'too-large';
    // Sized by what stat says, read until the end all the same: the file may grow while we read.
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const expected = info.size > length ? info.size - length + 1 : 1 << 16;
      const wanted = Math.min(expected, max + 1 - length, 1 << 20);
      // The first read of a small file goes to the scratch buffer, decoded from there when it is the
      // whole file: no buffer made per file (10,000 plans and as many records in a large folder).
      const chunk = length === 0 && wanted <= SCRATCH.length ? SCRATCH.subarray(0, wanted) : Buffer.allocUnsafe(wanted);
      const bytesRead = readSync(fd, chunk, 0, chunk.length, null);
      if (chunk.buffer === SCRATCH.buffer) {
        if (bytesRead < chunk.length) return SCRATCH.toString('utf8', 0, bytesRead);
        chunks.push(Buffer.from(chunk)); // it grew: the scratch buffer is not kept
        length += bytesRead;
        if (length > max) return 'too-large';
        continue;
      }
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
      if (length > max) return 'too-large';
      // A regular file reads short only at its end: no second read (and no 64 KB buffer per file).
      if (bytesRead < chunk.length) break;
    }
    return Buffer.concat(chunks, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** A stream's bytes, stopping once past `max`; rejects with the signal's reason once it is aborted. */
function readStream(stream: Readable, max: number, signal?: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (outcome: () => void) => {
      signal?.removeEventListener('abort', onAbort);
      stream.off('data', onData).off('end', onEnd).off('error', onError);
      outcome();
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length > max) finish(() => resolve(Buffer.concat(chunks, length)));
    };
    const onEnd = () => finish(() => resolve(Buffer.concat(chunks, length)));
    const onError = (e: Error) => finish(() => reject(e));
    const onAbort = () => finish(() => reject(signal!.reason));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/**
 * A file or a pipe (a FIFO, `<(command)`), up to `max` bytes: 'too-large' past it, 'not-a-file' for a
 * folder or a device (/dev/zero, a terminal). A named pipe nobody writes to reads as empty.
 */
export async function readFileOrPipe(file: string, max: number, signal?: AbortSignal): Promise<BoundedText> {
  // A descriptor of our own (not a FileHandle, which would close it again): a pipe's goes to a socket.
  const fd = await promisify(fs.open)(file, constants.O_RDONLY | constants.O_NONBLOCK);
  let info: fs.Stats;
  try {
    info = await promisify(fs.fstat)(fd);
  } catch (e) {
    fs.close(fd, () => undefined);
    throw e;
  }
  if (!info.isFIFO() && !info.isSocket()) {
    fs.close(fd, () => undefined);
    return info.isFile() ? readBounded(file, max) : 'not-a-file';
  }
  // The socket reads the pipe on the event loop and closes the descriptor when destroyed.
  const socket = new net.Socket({ fd, readable: true, writable: false });
  try {
    const read = await readStream(socket, max, signal);
    return read.length > max ? 'too-large' : read.toString('utf8');
  } finally {
    socket.destroy();
  }
}

/** Standard input, up to one byte past `max` (enough for the caller to tell it was too large);
 *  rejects once `signal` is aborted. */
export async function readStdin(max: number, signal?: AbortSignal): Promise<string> {
  const read = await readStream(process.stdin, max, signal);
  if (read.length > max) process.stdin.destroy(); // the rest is not wanted: do not wait for it
  return read.toString('utf8');
}
