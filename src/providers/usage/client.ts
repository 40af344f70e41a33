// One GET for a usage source: its auth from environment variables, a CA of its own, a timeout, and
// a bounded answer. node:http(s) rather than fetch, which takes no CA without a dispatcher.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { rememberSecret } from '../../secrets/redact.js';
import type { ProviderContext } from '../types.js';
import type { UsageConfig } from './schema.js';

const MAX_ANSWER = 1 << 20;

export interface Answer {
  status: number;
  text: string;
}

/** The Authorization header, or why it cannot be built. The value is remembered as a secret. */
function authorization(config: UsageConfig, env: NodeJS.ProcessEnv): { header?: string; missing?: string } {
  const auth = config.auth;
  if (!auth) return {};
  const variable = auth.type === 'bearer' ? auth.tokenEnv : auth.passwordEnv;
  const value = env[variable];
  if (!value) return { missing: `environment variable ${variable} (the ${auth.type === 'bearer' ? 'bearer token' : 'password'}) is not set` };
  rememberSecret(value);
  if (auth.type === 'bearer') return { header: `Bearer ${value}` };
  const basic = Buffer.from(`${auth.username}:${value}`).toString('base64');
  rememberSecret(basic);
  return { header: `Basic ${basic}` };
}

export type Get = (url: URL) => Promise<Answer>;

/** A GET bound to the source's auth, CA and timeout. Throws an Error whose message says why (no secret). */
export function httpGetter(config: UsageConfig, ctx: ProviderContext): Get {
  let ca: Promise<Buffer> | undefined;
  return async (url) => {
    const auth = authorization(config, ctx.env);
    if (auth.missing) throw new Error(auth.missing);
    if (config.tls?.caFile) {
      const file = path.resolve(ctx.planDir, config.tls.caFile);
      ca ??= readFile(file).catch((e: NodeJS.ErrnoException) => {
        throw new Error(`cannot read the CA file ${file} (${e.code ?? e.message})`);
      });
    }
    const options: https.RequestOptions = {
      method: 'GET',
      headers: { accept: 'application/json', 'user-agent': 'keyrot', ...(auth.header ? { authorization: auth.header } : {}) },
      timeout: config.timeout,
      ...(ca ? { ca: await ca } : {}),
    };
    return new Promise<Answer>((resolve, reject) => {
      // Destroying the request after the headers also fails the response ("aborted"): the reason
      // keyrot gave (the deadline, the size) is what happened, whichever reports it first.
      let failure: Error | undefined;
      const fail = (error: Error) => {
        failure ??= error;
        request.destroy(error);
      };
      const request = (url.protocol === 'https:' ? https : http).request(url, options, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER) return fail(new Error(`the answer is larger than ${MAX_ANSWER} bytes`));
          chunks.push(chunk);
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', (e) => reject(failure ?? e));
      });
      // The socket timeout covers a server that accepts and then says nothing; the timer the whole call.
      const timer = setTimeout(() => fail(new Error(`no answer within ${config.timeout} ms`)), config.timeout);
      request.on('timeout', () => fail(new Error(`no answer within ${config.timeout} ms`)));
      request.on('error', (e: NodeJS.ErrnoException) => reject(failure ?? new Error(e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message)));
      request.on('close', () => clearTimeout(timer));
      request.end();
    });
  };
}

/** `{{keyId}}`, `{{window}}`, … filled in with values already quoted for where they go (PromQL string, URL path). */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{\s*([A-Za-z]+)\s*\}\}/g, (whole, name: string) => (Object.hasOwn(values, name) ? values[name]! : whole));
}
