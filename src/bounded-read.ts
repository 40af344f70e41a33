// Reading a file that may be hostile: a plan or a state record is small, so never more than a bound
// is read (a 50 MB plan, a symlink to /dev/zero), and only a regular file is opened (a named pipe
// would block the open until some writer came along).
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** The file's text; 'too-large' past `max` bytes; 'not-a-file' for a folder, device or pipe. */
export async function readBounded(file: string, max: number): Promise<string | 'too-large' | 'not-a-file'> {
  // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer; fstat then refuses it.
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) return 'not-a-file';
    const buffer = Buffer.alloc(max + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > max) return 'too-large';
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}
