// How an OpenAPI description's schemas are read as JSON Schema, for the vendors' descriptions (3.0 and
// 3.1 both occur among them):
// - `nullable: true` (3.0; SendGrid's 3.1 files use it too) adds null to the type (and to an enum); a
//   nullable schema without a type (a $ref, an allOf) becomes anyOf [it, null].
// - A property marked readOnly is not required in a request, writeOnly not in an answer (OpenAPI 3.0
//   §4.7.25): Cloudflare requires a policy `id` that only the server assigns.
// - 3.0 documents are checked as draft-07 JSON Schema, 3.1 ones as 2020-12; $refs resolve inside the
//   extract (it carries every component its operations reference).
// - Formats: the vendors' own ones are checked (Twilio's date-time-rfc-2822, OpenAI's unixtime), and
//   `uri` is read as a URI reference, because Twilio's own examples of its `uri` fields are relative
//   (`/2010-04-01/Accounts/…`).
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';

export type Json = Record<string, unknown>;
export type Direction = 'request' | 'response';

const RFC_2822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/;

/** A validator for one description: draft-07 for OpenAPI 3.0, 2020-12 for 3.1, with the vendors' formats. */
export function newValidator(openapiVersion: string): Ajv {
  const options = { strict: false, allErrors: true, validateSchema: false };
  const ajv = openapiVersion.startsWith('3.1') ? new Ajv2020(options) : new Ajv(options);
  (addFormats as unknown as (ajv: Ajv) => void)(ajv);
  ajv.addFormat('uri', fullFormats['uri-reference']);
  ajv.addFormat('date-time-rfc-2822', RFC_2822);
  ajv.addFormat('unixtime', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('uri-map', { type: 'string', validate: () => true }); // Twilio puts it on an object: nothing to check
  return ajv;
}

export function resolvePointer(doc: Json, ref: string): Json {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are followed: ${ref}`);
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) node = (node as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  if (node === undefined) throw new Error(`$ref ${ref} points at nothing`);
  return node as Json;
}


/** A query, path or header value is text: read it as the number or boolean its schema asks for. */
export function coerce(raw: string, schema: Json): unknown {
  const types = ([] as unknown[]).concat(schema.type ?? []);
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (types.includes('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

/** The description as JSON Schema sees it, for one direction: nullable made explicit, readOnly/writeOnly requiredness dropped. */
export function normalise(doc: Json, direction: Direction): Json {
  const skipped = direction === 'request' ? 'readOnly' : 'writeOnly';
  const flagged = (schema: unknown): boolean => {
    let node = schema as Json | undefined;
    for (let hops = 0; node && typeof node.$ref === 'string' && hops < 20; hops++) node = resolvePointer(doc, node.$ref);
    return node?.[skipped] === true;
  };
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!node || typeof node !== 'object') return node;
    const out: Json = Object.fromEntries(Object.entries(node as Json).map(([k, v]) => [k, k === 'example' || k === 'examples' ? v : walk(v)]));
    if (Array.isArray(out.required) && out.properties && typeof out.properties === 'object') {
      const properties = (node as Json).properties as Json;
      out.required = (out.required as string[]).filter((name) => !flagged(properties[name]));
    }
    if (out.nullable !== true) return out;
    delete out.nullable;
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...(out.enum as unknown[]), null];
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (Array.isArray(out.type)) out.type = out.type.includes('null') ? out.type : [...(out.type as unknown[]), 'null'];
    else return { anyOf: [out, { type: 'null' }] };
    return out;
  };
  return walk(doc) as Json;
}
