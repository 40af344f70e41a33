// The terminal a question is asked on: the controlling terminal (/dev/tty), opened for one question
// and closed after it. Asking there rather than on stdin lets `revoke --secret-stdin` ask too (its
// stdin is the pipe that carried the secret), and a fresh descriptor per question holds no input
// that an earlier reader buffered.
import fs from 'node:fs';
import tty from 'node:tty';

const TTY = '/dev/tty';
const { O_RDONLY, O_WRONLY, O_NOCTTY, O_NONBLOCK } = fs.constants;

export interface Terminal {
  input: tty.ReadStream;
  output: tty.WriteStream;
  /** Throw away everything typed so far, right before the question is shown; false if it could not. */
  discardTypedAhead(): boolean;
  close(): void;
}

function openFd(flags: number): number | undefined {
  try {
    const fd = fs.openSync(TTY, flags | O_NOCTTY);
    if (tty.isatty(fd)) return fd;
    fs.closeSync(fd);
  } catch {
    // No controlling terminal (cron, CI, a container without -t, a system without /dev/tty).
  }
  return undefined;
}

/** The controlling terminal, or undefined when this process has none: then nobody can be asked. */
export function openTerminal(): Terminal | undefined {
  const inFd = openFd(O_RDONLY);
  const outFd = inFd === undefined ? undefined : openFd(O_WRONLY);
  if (inFd === undefined || outFd === undefined) {
    if (inFd !== undefined) fs.closeSync(inFd);
    return undefined;
  }
  const input = new tty.ReadStream(inFd);
  const output = new tty.WriteStream(outFd);
  return {
    input,
    output,
    discardTypedAhead: () => discard(input),
    close() {
      input.setRawMode(false);
      input.destroy();
      output.end();
    },
  };
}

/**
 * What tcflush(TCIFLUSH) does, which Node lacks (sudo, apt and terraform flush before they ask):
 * raw mode first, because a line typed without Enter is held by the terminal until raw mode makes
 * it readable; then a descriptor of our own, non-blocking, reads what the terminal holds until it
 * has nothing more (EAGAIN). Nothing typed before this call can answer the question that follows.
 */
function discard(input: tty.ReadStream): boolean {
  input.setRawMode(true);
  const fd = openFd(O_RDONLY | O_NONBLOCK);
  if (fd === undefined) return false;
  const scrap = Buffer.alloc(1024);
  try {
    while (fs.readSync(fd, scrap) > 0);
  } catch {
    // EAGAIN: nothing more is waiting. Any other error (the terminal hung up) leaves nothing to read either.
  } finally {
    fs.closeSync(fd);
  }
  return true;
}
