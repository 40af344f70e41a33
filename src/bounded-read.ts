// Reading a file that may be hostile: a plan or a state record is small, so never more than a bound
// is read (a 50 MB plan, a symlink to /dev/zero), and only a regular file is opened (a named pipe
// would block the open until some writer came along).
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The file's text; 'too-large' past `max` bytes; 'not-a-file' for a folder, device or pipe.
 * Synchronous on purpose: a plan or a record is a few kB, and read through the thread pool each costs
 * four round trips (open, fstat, read, close), which made reading 10,000 plans and their records take
 * seconds (issue 27); these calls return in microseconds on a local disk.
 */
export function readBounded(file: string, max: number): string | 'too-large' | 'not-a-file' {
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
      const chunk = Buffer.allocUnsafe(Math.min(expected, max + 1 - length, 1 << 20));
      const bytesRead = readSync(fd, chunk, 0, chunk.length, null);
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

/** Standard input, up to one byte past `max` (enough for the caller to tell it was too large). */
export async function readStdin(max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    length += chunk.length;
    if (length > max) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}
