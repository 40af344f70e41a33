// fetch with one deadline over the request and its whole body. Passing a timeout signal to fetch is
// not enough once the headers are in: undici follows the caller's signal through a weak reference to
// the request's own controller, and when that is collected an abort never reaches the body, which a
// server that stalls after its headers then keeps open forever (seen on Node 20: a GitHub call hung on
// its first or fourth attempt, depending on when the collector ran). So the body is read here, and
// the deadline cancels the reader itself.

/** A fetch that got its whole answer within the deadline. */
export interface Fetched {
  response: Response;
  text: string;
}

/** Past `ms`, rejects with a TimeoutError (as AbortSignal.timeout's), whether in the headers or the body. */
export async function fetchWithin(url: string, init: RequestInit, ms: number): Promise<Fetched> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
  try {
    const response = await fetch(url, { ...init, signal: controller.signal });
    return { response, text: await bodyText(response, controller.signal) };
  } finally {
    clearTimeout(timer);
  }
}

async function bodyText(response: Response, signal: AbortSignal): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const cancel = () => void reader.cancel(signal.reason).catch(() => undefined);
  signal.addEventListener('abort', cancel, { once: true });
  try {
    const chunks: Uint8Array[] = [];
    for (;;) {
      // A cancelled reader ends its pending read as if the body had ended: the abort says otherwise.
      const { done, value } = await reader.read();
      if (signal.aborted) throw signal.reason;
      if (done) break;
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}
