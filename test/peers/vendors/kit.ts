// The shared part of the vendor test servers: an HTTP server on 127.0.0.1 that routes each request to
// the operation of the vendor's OpenAPI extract it addresses, checks the request against it, runs the
// vendor's handler, and checks the answer before sending it.
// - A request that breaks the description is recorded in `violations` (tests assert it stays empty)
//   and answered as the vendor answers a bad request; one without any credential the operation names
//   is recorded too, and then answered by the vendor's own authentication (401/403).
// - An answer of ours that breaks the description is never sent: the server answers 500, records it in
//   `answerErrors`, and close() throws it, so no test passes on a server that drifted.
// - Faults for tests: the next N calls (or N calls of one operation) answer 429 (with or without the
//   vendor's wait hint) or 5xx, never answer, or take effect and send their status and headers but
//   never finish the body.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Operation, OpenApiSpec } from './openapi.js';

export interface Answer {
  status: number;
  body?: unknown;
  /** A body that is not JSON (GitLab's rate limiter answers text/plain), sent as it is with `headers`'
   *  content type; allowed for error statuses only, which a description documents as JSON if at all. */
  text?: string;
  headers?: Record<string, string>;
}

export interface Call {
  operation: Operation;
  pathParams: Record<string, string>;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** Parsed by its content type: JSON, or a form as an object of strings. */
  body: unknown;
  url: URL;
}

export type Handler = (call: Call) => Answer;

export type Fault =
  /** 429, with the vendor's wait hint set to this many seconds, or without any. */
  | { kind: 'rate-limit'; retryAfterSeconds?: number }
  | { kind: 'server-error'; status?: 500 | 502 | 503 }
  /** Never answers; the call has no effect. */
  | { kind: 'stall' }
  /** The call takes effect (a key is created…), its status and headers are sent, its body never comes. */
  | { kind: 'stall-body' };

export interface VendorDefinition {
  vendor: string;
  specs: OpenApiSpec[];
  /** By operationId. */
  handlers: Record<string, Handler>;
  /** The vendor's 401/403 for a call whose credential it would refuse; undefined to let it through. */
  authenticate(call: Call): Answer | undefined;
  /** The vendor's answer to a request that breaks its description (400) or addresses nothing (404). */
  invalid(status: 400 | 404, problems: string[]): Answer;
  rateLimited(retryAfterSeconds: number | undefined): Answer;
  serverError(status: number): Answer;
  /** Where the vendor's error shape is, for an error status an operation does not document: a pointer into the extract, or a schema. */
  errorShape(spec: OpenApiSpec): string | Record<string, unknown>;
  /** Check every error answer against errorShape, even where the operation documents one (say why where it is set). */
  errorShapeReplacesDocumented?: boolean;
}

export interface SeenRequest {
  method: string;
  /** Path and query, never a header or a body. */
  path: string;
  operationId?: string;
  status?: number;
}

export interface Violation {
  method: string;
  path: string;
  operationId?: string;
  problems: string[];
}

export interface VendorServer {
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  readonly requests: SeenRequest[];
  readonly violations: Violation[];
  readonly answerErrors: string[];
  /** The next `times` calls (of `operationId`, if given) fail this way. */
  fail(times: number, fault: Fault, options?: { operationId?: string }): void;
  /** Answer one operation with this handler instead (to prove the answer check catches a bad answer, or to
   *  act as another client between two calls); returns the handler it replaced, to put back. */
  replaceHandler(operationId: string, handler: Handler): Handler;
  /** Stops the server; throws if any answer of ours broke the description. */
  close(): Promise<void>;
}

interface PendingFault {
  left: number;
  fault: Fault;
  operationId?: string;
}

export async function startVendorServer(definition: VendorDefinition): Promise<VendorServer> {
  const requests: SeenRequest[] = [];
  const violations: Violation[] = [];
  const answerErrors: string[] = [];
  const faults: PendingFault[] = [];
  const handlers = { ...definition.handlers };
  let origin = '';

  const takeFault = (operationId: string): Fault | undefined => {
    const pending = faults.find((f) => f.left > 0 && (f.operationId === undefined || f.operationId === operationId));
    if (!pending) return undefined;
    pending.left -= 1;
    return pending.fault;
  };

  /** The answer, checked; undefined for a call that must never be answered. */
  function respond(req: http.IncomingMessage, url: URL, text: string, seen: SeenRequest): { answer: Answer; stallBody: boolean } | undefined {
    const method = req.method ?? 'GET';
    const misses: string[] = [];
    for (const spec of definition.specs) {
      const match = spec.match(method, url.pathname);
      if ('problem' in match) {
        misses.push(`${spec.name}: ${match.problem}`);
        continue;
      }
      const { operation, pathParams } = match;
      seen.operationId = operation.id;
      const parsed = spec.checkRequest(operation, { query: url.searchParams, headers: req.headers, pathParams, body: text });
      const problems = [...parsed.problems, ...(parsed.credentialProblem ? [parsed.credentialProblem] : [])];
      if (problems.length > 0) violations.push({ method, path: seen.path, operationId: operation.id, problems });
      const call: Call = { operation, pathParams, query: url.searchParams, headers: req.headers, body: parsed.body, url };
      let answer: Answer | undefined;
      let stallBody = false;
      // A malformed request is refused as the vendor refuses one; a missing credential, by its authentication.
      if (parsed.problems.length > 0) answer = definition.invalid(400, parsed.problems);
      const fault = answer ? undefined : takeFault(operation.id);
      if (fault?.kind === 'stall') return undefined;
      if (fault?.kind === 'rate-limit') answer = definition.rateLimited(fault.retryAfterSeconds);
      if (fault?.kind === 'server-error') answer = definition.serverError(fault.status ?? 500);
      stallBody = fault?.kind === 'stall-body';
      answer ??= definition.authenticate(call);
      if (!answer) {
        const handler = handlers[operation.id];
        if (!handler) throw new Error(`${definition.vendor} test server: no handler for ${operation.id}`);
        answer = handler(call);
      }
      const wrong = answer.text !== undefined
        ? (answer.status >= 400 ? [] : [`a text body for status ${answer.status}`])
        : spec.checkResponse(operation, answer.status, answer.body, { shape: definition.errorShape(spec), replacesDocumented: definition.errorShapeReplacesDocumented });
      if (wrong.length > 0) {
        answerErrors.push(`${definition.vendor} ${operation.id} answered ${answer.status}: ${wrong.join('; ')}`);
        return { answer: { status: 500, body: { 'keyrot-test-server': 'our answer broke the vendor description', problems: wrong } }, stallBody: false };
      }
      return { answer, stallBody };
    }
    violations.push({ method, path: seen.path, problems: misses });
    return { answer: definition.invalid(404, misses), stallBody: false };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', origin);
      const seen: SeenRequest = { method: req.method ?? 'GET', path: `${url.pathname}${url.search}` };
      requests.push(seen);
      let result: ReturnType<typeof respond>;
      try {
        result = respond(req, url, Buffer.concat(chunks).toString('utf8'), seen);
      } catch (e) {
        answerErrors.push(`${definition.vendor} ${seen.operationId ?? seen.path}: the handler threw ${(e as Error).message}`);
        result = { answer: { status: 500, body: { 'keyrot-test-server': 'the handler threw' } }, stallBody: false };
      }
      if (!result) return; // a stall: the socket stays open until the client gives up or the server closes
      const { answer, stallBody } = result;
      seen.status = answer.status;
      const text = answer.text ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
      res.writeHead(answer.status, { ...(text && answer.text === undefined ? { 'content-type': 'application/json' } : {}), ...answer.headers });
      if (stallBody) {
        res.flushHeaders(); // the status and headers, then nothing: not a byte of the body (nor its secret)
        return;
      }
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    requests,
    violations,
    answerErrors,
    fail(times, fault, options) {
      faults.push({ left: times, fault, operationId: options?.operationId });
    },
    replaceHandler(operationId, handler) {
      const was = handlers[operationId]!;
      handlers[operationId] = handler;
      return was;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (answerErrors.length > 0) throw new Error(`${definition.vendor} test server gave answers its description does not allow:\n${answerErrors.join('\n')}`);
    },
  };
}
