// Reads one extract of a vendor's OpenAPI description (specs/*.json) and checks a request against the
// operation it addresses, and an answer against what that operation documents. The test servers in
// this folder call it on every request and every answer (kit.ts), so they cannot drift into our
// reading of the API.
//
// How a description's schemas are read as JSON Schema (3.0 and 3.1, nullable, readOnly, formats):
// schema-dialect.ts. Beyond that: a request body whose media type has no schema (Cloudflare's DELETE)
// is neither checked nor required; a query parameter the operation does not document is a problem;
// and so is a request carrying none of the credentials its security requirements name.
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { coerce, type Direction, type Json, newValidator, normalise, resolvePointer } from './schema-dialect.js';

export interface Operation {
  /** The operationId, as the vendor names the call. */
  readonly id: string;
  readonly method: string;
  /** The path template, as in the description (without the server's base path). */
  readonly path: string;
  readonly spec: OpenApiSpec;
}

export interface RequestParts {
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  pathParams: Record<string, string>;
  /** The raw body text ('' for none). */
  body: string;
}

export interface ParsedRequest {
  /** What breaks the description, but for credentials. */
  problems: string[];
  /** Set when the request carries none of the credentials the operation names (the vendor answers that itself: 401/403). */
  credentialProblem?: string;
  /** The body, parsed by its content type (JSON, or a form as an object of strings); undefined for none. */
  body: unknown;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const SPEC_DIR = path.join(import.meta.dirname, 'specs');

const escapePointer = (part: string) => part.replace(/~/g, '~0').replace(/\//g, '~1');
const pointerOf = (...parts: string[]) => `#/${parts.map(escapePointer).join('/')}`;
const describe = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? e.keyword}${e.keyword === 'enum' ? ` ${JSON.stringify(e.params.allowedValues)}` : ''}`).join('; ');

export class OpenApiSpec {
  readonly name: string;
  readonly doc: Json;
  /** The path of the description's first server URL ('/client/v4' for Cloudflare, '/v1' for OpenAI, '' elsewhere). */
  readonly basePath: string;
  readonly operations: Operation[];
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly patterns: { operation: Operation; regex: RegExp; names: string[] }[];

  constructor(file: string) {
    this.name = path.basename(file, '.json');
    this.doc = JSON.parse(readFileSync(path.isAbsolute(file) ? file : path.join(SPEC_DIR, file), 'utf8')) as Json;
    const server = (this.doc.servers as { url: string }[] | undefined)?.[0]?.url;
    this.basePath = server ? new URL(server).pathname.replace(/\/$/, '') : '';
    this.ajv = newValidator(String(this.doc.openapi));
    for (const direction of ['request', 'response'] as const) this.ajv.addSchema({ ...normalise(this.doc, direction), $id: this.idOf(direction) });

    this.operations = [];
    this.patterns = [];
    for (const [template, item] of Object.entries(this.doc.paths as Record<string, Json>)) {
      for (const method of METHODS.filter((m) => item[m])) {
        const op = item[method] as Json;
        const operation: Operation = { id: String(op.operationId ?? `${method.toUpperCase()} ${template}`), method: method.toUpperCase(), path: template, spec: this };
        const names = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
        const source = template.split(/\{[^}]+\}/).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('([^/]+)');
        this.operations.push(operation);
        this.patterns.push({ operation, regex: new RegExp(`^${source}$`), names });
      }
    }
    // A literal segment wins over a template: /user/tokens/verify before /user/tokens/{token_id}.
    this.patterns.sort((a, b) => a.names.length - b.names.length);
  }

  /** The operation a request addresses (pathname with the base path), or why none does. */
  match(method: string, pathname: string): { operation: Operation; pathParams: Record<string, string> } | { problem: string } {
    if (!pathname.startsWith(this.basePath)) return { problem: `${pathname} is outside ${this.basePath}` };
    const rest = pathname.slice(this.basePath.length);
    const found = this.patterns.filter((p) => p.regex.test(rest));
    const hit = found.find((p) => p.operation.method === method);
    if (!hit) return { problem: found.length ? `${method} is not documented for ${found[0]!.operation.path}` : `no documented path matches ${rest}` };
    const values = hit.regex.exec(rest)!.slice(1).map((v) => decodeURIComponent(v));
    return { operation: hit.operation, pathParams: Object.fromEntries(hit.names.map((n, i) => [n, values[i]!])) };
  }

  /** Checks a request's parameters, credentials, content type and body; parses the body. */
  checkRequest(operation: Operation, request: RequestParts): ParsedRequest {
    const op = this.op(operation);
    const problems: string[] = [];
    const documented = new Set<string>();
    for (const { param, pointer } of this.parameters(operation)) {
      const where = String(param.in);
      const name = String(param.name);
      if (where === 'query') documented.add(name);
      const raw = where === 'path' ? request.pathParams[name] : where === 'query' ? request.query.get(name) ?? undefined : where === 'header' ? headerValue(request.headers, name) : undefined;
      if (raw === undefined) {
        if (param.required === true) problems.push(`${where} parameter ${name} is required`);
        continue;
      }
      if (!param.schema) continue;
      const value = coerce(raw, this.resolve(param.schema as Json));
      const validate = this.validator('request', `${pointer}/schema`);
      if (!validate(value)) problems.push(`${where} parameter ${name}=${JSON.stringify(raw)}: ${describe(validate.errors)}`);
    }
    for (const name of new Set(request.query.keys())) if (!documented.has(name)) problems.push(`query parameter ${name} is not documented`);
    const { problems: bodyProblems, body } = this.checkBody(operation, request);
    return { problems: [...problems, ...bodyProblems], credentialProblem: this.checkSecurity(op, request.headers), body };
  }

  /**
   * Checks an answer against the response the operation documents for its status (exact, then 4XX-style,
   * then default). An error status the operation does not document is checked against `errors.shape` (a
   * pointer into the extract, or a schema), and so is every error status when `errors.replacesDocumented`
   * (a vendor whose documented error schema no body can satisfy); any other undocumented status is a problem.
   */
  checkResponse(operation: Operation, status: number, body: unknown, errors?: { shape: string | Json; replacesDocumented?: boolean }): string[] {
    const responses = (this.op(operation).responses ?? {}) as Record<string, Json>;
    const key = [String(status), `${String(status)[0]}XX`, `${String(status)[0]}xx`, 'default'].find((k) => k in responses);
    if (key === undefined || (status >= 400 && errors?.replacesDocumented)) {
      if (status < 400 || errors === undefined) return [`status ${status} is not documented for ${operation.id}`];
      const validate = typeof errors.shape === 'string' ? this.validator('response', errors.shape) : this.ajv.compile(errors.shape);
      return validate(body) ? [] : [`${status} body (the vendor's error shape): ${describe(validate.errors)}`];
    }
    let pointer = pointerOf('paths', operation.path, operation.method.toLowerCase(), 'responses', key);
    let response = responses[key]!;
    if (typeof response.$ref === 'string') {
      pointer = response.$ref;
      response = this.resolve(response);
    }
    const content = response.content as Record<string, Json> | undefined;
    if (!content || Object.keys(content).length === 0) return body === undefined ? [] : [`${status} documents no body, but one was sent`];
    const json = content['application/json'];
    if (!json?.schema) return [];
    if (body === undefined) return [`${status} documents a JSON body, but none was sent`];
    const validate = this.validator('response', `${pointer}/content/application~1json/schema`);
    return validate(body) ? [] : [`${status} body: ${describe(validate.errors)}`];
  }

  /** A value checked against a schema of the extract (for tests of the validator itself). */
  validates(direction: Direction, pointer: string, value: unknown): string[] {
    const validate = this.validator(direction, pointer);
    return validate(value) ? [] : [describe(validate.errors)];
  }

  private checkBody(operation: Operation, request: RequestParts): ParsedRequest {
    let requestBody = this.op(operation).requestBody as Json | undefined;
    let pointer = pointerOf('paths', operation.path, operation.method.toLowerCase(), 'requestBody');
    if (typeof requestBody?.$ref === 'string') {
      pointer = requestBody.$ref;
      requestBody = this.resolve(requestBody);
    }
    const sent = request.body.length > 0;
    if (!requestBody) return { problems: sent ? ['the operation documents no request body, but one was sent'] : [], body: undefined };
    const content = (requestBody.content ?? {}) as Record<string, Json>;
    const withSchema = Object.keys(content).filter((type) => content[type]?.schema);
    if (!sent) return { problems: requestBody.required === true && withSchema.length > 0 ? ['the request body is required'] : [], body: undefined };
    const type = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!(type in content)) return { problems: [`content type ${type || '(none)'} is not documented (${Object.keys(content).join(', ')})`], body: undefined };
    let body: unknown;
    if (type === 'application/x-www-form-urlencoded') {
      body = Object.fromEntries(new URLSearchParams(request.body));
    } else {
      try {
        body = JSON.parse(request.body);
      } catch {
        return { problems: ['the request body is not JSON'], body: undefined };
      }
    }
    if (!content[type]?.schema) return { problems: [], body };
    const validate = this.validator('request', `${pointer}/content/${escapePointer(type)}/schema`);
    return validate(body) ? { problems: [], body } : { problems: [`request body: ${describe(validate.errors)}`], body };
  }

  /** A request satisfies one of the operation's (or the document's) security requirements, as far as its headers show. */
  private checkSecurity(op: Json, headers: IncomingHttpHeaders): string | undefined {
    const requirements = (op.security ?? this.doc.security ?? []) as Record<string, string[]>[];
    if (requirements.length === 0) return undefined;
    const schemes = ((this.doc.components as Json | undefined)?.securitySchemes ?? {}) as Record<string, Json>;
    const present = (name: string): boolean => {
      const scheme = schemes[name];
      if (!scheme) return false;
      if (scheme.type === 'apiKey' && scheme.in === 'header') return headerValue(headers, String(scheme.name)) !== undefined;
      if (scheme.type === 'http') return new RegExp(`^${String(scheme.scheme)} \\S`, 'i').test(headerValue(headers, 'authorization') ?? '');
      return false;
    };
    if (requirements.some((r) => Object.keys(r).every(present))) return undefined;
    return `no credential of the kinds the operation accepts (${requirements.map((r) => Object.keys(r).join(' + ') || 'none').join(' | ')})`;
  }

  /** Path-level parameters, overridden by operation-level ones of the same name and place; with the pointer to each. */
  private parameters(operation: Operation): { param: Json; pointer: string }[] {
    const item = (this.doc.paths as Record<string, Json>)[operation.path]!;
    const found = new Map<string, { param: Json; pointer: string }>();
    const add = (list: unknown, ...at: string[]) => {
      (Array.isArray(list) ? (list as Json[]) : []).forEach((entry, i) => {
        const pointer = typeof entry.$ref === 'string' ? entry.$ref : pointerOf(...at, 'parameters', String(i));
        const param = this.resolve(entry);
        found.set(`${String(param.in)}:${String(param.name)}`, { param, pointer });
      });
    };
    add(item.parameters, 'paths', operation.path);
    add(this.op(operation).parameters, 'paths', operation.path, operation.method.toLowerCase());
    return [...found.values()];
  }

  private op(operation: Operation): Json {
    return (this.doc.paths as Record<string, Json>)[operation.path]![operation.method.toLowerCase()] as Json;
  }

  private resolve(node: Json): Json {
    let current = node;
    for (let hops = 0; typeof current.$ref === 'string' && hops < 20; hops++) current = resolvePointer(this.doc, current.$ref);
    return current;
  }

  private idOf(direction: Direction) {
    return `urn:keyrot:vendor-spec:${this.name}:${direction}`;
  }

  private validator(direction: Direction, pointer: string): ValidateFunction {
    const ref = `${this.idOf(direction)}${pointer}`;
    let validate = this.compiled.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.compiled.set(ref, validate);
    }
    return validate;
  }
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
