// One HTTP exchange with the vendor: TLS verified (the system's roots, plus a CA file if the plan
// names one), a connect timeout, and one timer over the whole exchange, so a server that sends its
// headers and then stalls the body is cut off too. Answers are bounded in size. node:http(s)
// rather than fetch, which takes no extra CA without a dispatcher.
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';

/** A list page of keys is small; anything near this is not an answer keyrot can use. */
const MAX_ANSWER_BYTES = 4 << 20;

export interface Exchange {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface Transport {
  timeoutMs: number;
  connectTimeoutMs: number;
  /** Extra CA certificates (PEM), trusted besides the system's. */
  ca?: string;
}

/** No answer: `sent` says whether the request may have reached the vendor (a create may then exist). */
export class NoAnswer extends Error {
  constructor(
    readonly reason: 'connect' | 'tls' | 'timeout' | 'network' | 'too-large',
    message: string,
    readonly sent: boolean,
  ) {
    super(message);
    this.name = 'NoAnswer';
  }
}

export function exchange(req: Exchange, t: Transport): Promise<Answer> {
  const options: https.RequestOptions = {
    method: req.method,
    headers: { 'user-agent': 'keyrot', accept: 'application/json', ...req.headers, ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}) },
    ...(t.ca ? { ca: [...rootCertificates, t.ca] } : {}),
    agent: false, // one connection per exchange: a connect timeout then means this request's connection
  };
  return new Promise<Answer>((resolve, reject) => {
    let connected = false;
    // Destroying the request after the headers also fails the response ("aborted"): the reason keyrot
    // gave (the deadline, the size) is what happened, whichever of the two reports it first.
    let failure: NoAnswer | undefined;
    const fail = (error: NoAnswer) => {
      failure ??= error;
      request.destroy(error);
    };
    const request = (req.url.protocol === 'https:' ? https : http).request(req.url, options, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) return fail(new NoAnswer('too-large', `the answer is larger than ${MAX_ANSWER_BYTES} bytes`, true));
        chunks.push(chunk);
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', (e) => reject(failure ?? (e instanceof NoAnswer ? e : new NoAnswer('network', e.message, true))));
    });
    const whole = setTimeout(() => fail(new NoAnswer('timeout', `no complete answer within ${t.timeoutMs} ms`, connected)), t.timeoutMs);
    request.on('socket', (socket) => {
      const connecting = setTimeout(() => fail(new NoAnswer('connect', `no connection within ${t.connectTimeoutMs} ms`, false)), t.connectTimeoutMs);
      const up = () => {
        connected = true;
        clearTimeout(connecting);
      };
      if (!socket.connecting) up();
      else socket.once(req.url.protocol === 'https:' ? 'secureConnect' : 'connect', up);
      socket.once('close', () => clearTimeout(connecting));
    });
    request.on('error', (e: NodeJS.ErrnoException) => {
      if (e instanceof NoAnswer) return reject(e);
      if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(e.code ?? '')) return reject(new NoAnswer('tls', `TLS: ${e.message} (trust its CA with tls.caFile)`, false));
      // Refused or unreachable: the request never left. Anything else may have reached the vendor.
      const unsent = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(e.code ?? '') || !connected;
      reject(new NoAnswer(unsent ? 'connect' : 'network', e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message, !unsent));
    });
    request.on('close', () => clearTimeout(whole));
    request.end(req.body);
  });
}
