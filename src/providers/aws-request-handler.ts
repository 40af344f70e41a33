// The HTTP handler of every AWS client keyrot builds (IAM, STS, Secrets Manager, the credential
// chain's STS): the SDK's own node:http handler over the shared keep-alive pool, with one deadline
// over each request whole. The SDK's requestTimeout ends when the status and headers arrive; the body
// is read later, by the deserializer, with no timer at all: an answer that sends its headers and then
// stalls (or drips a byte at a time, which no idle timeout ends) would hang keyrot forever. Here the
// body gets what is left of the same deadline, and is cut off with the SDK's own TimeoutError, which
// every caller already retries and reports as a timeout.
//
// Imported only by modules that import an AWS SDK client (which loads this handler anyway).
import type { Readable } from 'node:stream';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { keepAliveAgents } from './aws-clients.js';

type Handle = NodeHttpHandler['handle'];

/** The error the SDK itself raises when a request takes too long: name TimeoutError, code ETIMEDOUT. */
export function awsTimeout(ms: number): Error {
  return Object.assign(new Error(`no complete answer within ${ms} ms (the body stalled after the headers)`), { name: 'TimeoutError', code: 'ETIMEDOUT' });
}

class WholeRequestHandler extends NodeHttpHandler {
  constructor(
    private readonly wholeMs: number,
    options: ConstructorParameters<typeof NodeHttpHandler>[0],
  ) {
    super(options);
  }

  override async handle(...[request, options]: Parameters<Handle>): ReturnType<Handle> {
    const started = performance.now();
    const answer = await super.handle(request, options);
    const body = answer.response.body as Readable | undefined;
    if (!body || typeof body.destroy !== 'function' || body.readableEnded) return answer;
    const left = Math.max(0, this.wholeMs - (performance.now() - started));
    const timer = setTimeout(() => body.destroy(awsTimeout(this.wholeMs)), left);
    body.once('close', () => clearTimeout(timer));
    body.once('end', () => clearTimeout(timer));
    return answer;
  }
}

/**
 * The request handler of every AWS client keyrot builds: `requestTimeout` bounds each request from
 * its start to the last byte of its body; `connectionTimeout` the connection. throwOnRequestTimeout:
 * without it the SDK only logs a warning and keeps waiting on a hung endpoint.
 */
export const awsRequestHandler = (requestTimeout: number, connectionTimeout: number): NodeHttpHandler =>
  new WholeRequestHandler(requestTimeout, { requestTimeout, connectionTimeout, throwOnRequestTimeout: true, ...keepAliveAgents() });
