// The checker the vendor test servers stand on: it must accept what the vendors themselves publish as
// examples, and refuse what breaks their descriptions.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OpenApiSpec } from './openapi.js';

const SPECS = readdirSync(path.join(import.meta.dirname, 'specs')).filter((f) => f.endsWith('.json'));
const escape = (part: string) => part.replace(/~/g, '~0').replace(/\//g, '~1');
type Node = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every example the extract gives for a request or response body, with the pointer to the schema it illustrates. */
function examples(spec: OpenApiSpec): { where: string; direction: 'request' | 'response'; pointer: string; value: unknown }[] {
  const doc = spec.doc as Node;
  const found: ReturnType<typeof examples> = [];
  const collect = (direction: 'request' | 'response', at: string, holder: Node | undefined, where: string) => {
    for (const [type, media] of Object.entries<Node>(holder?.content ?? {})) {
      const pointer = `${at}/content/${escape(type)}/schema`;
      // GitHub keeps its examples in components, by $ref.
      const resolved = (e: Node): Node => (typeof e.$ref === 'string' ? (doc.components.examples[e.$ref.split('/').pop()!] as Node) : e);
      const values = media.examples ? Object.entries<Node>(media.examples).map(([name, e]) => [name, resolved(e).value]) : media.example !== undefined ? [['example', media.example]] : [];
      if (media.schema?.example !== undefined) values.push(['schema example', media.schema.example]);
      for (const [name, value] of values) found.push({ where: `${where} ${String(name)}`, direction, pointer, value });
    }
  };
  for (const [template, item] of Object.entries<Node>(doc.paths)) {
    for (const [method, op] of Object.entries<Node>(item)) {
      if (!op?.responses) continue;
      const at = `#/paths/${escape(template)}/${method}`;
      collect('request', `${at}/requestBody`, op.requestBody, `${method.toUpperCase()} ${template} request`);
      // OpenAI keeps its examples in x-oaiMeta, as text of the 200 answer (JSON, but for trailing commas).
      const oaiExample = op['x-oaiMeta']?.examples?.response;
      if (typeof oaiExample === 'string') {
        const value: unknown = JSON.parse(oaiExample.replace(/,(\s*[\]}])/g, '$1'));
        collect('response', `${at}/responses/200`, { content: { 'application/json': { example: value } } }, `${method.toUpperCase()} ${template} 200 x-oaiMeta`);
      }
      for (const [status, response] of Object.entries<Node>(op.responses)) {
        const ref = response.$ref as string | undefined;
        collect('response', ref ?? `${at}/responses/${status}`, ref ? doc.components.responses[ref.split('/').pop()!] : response, `${method.toUpperCase()} ${template} ${status}`);
      }
    }
  }
  return found;
}

describe('the OpenAPI checker', () => {
  it("accepts every request and response example in the vendors' extracts", () => {
    const all = SPECS.flatMap((file) => examples(new OpenApiSpec(file)).map((e) => ({ ...e, file })));
    expect(all.length).toBeGreaterThanOrEqual(25); // 16 in Twilio and SendGrid bodies, 9 in OpenAI x-oaiMeta
    const failures = all.map((e) => ({ at: `${e.file} ${e.where}`, value: e.value, problems: new OpenApiSpec(e.file).validates(e.direction, e.pointer, e.value) })).filter((f) => f.problems.length);
    // GitHub's own slip: the 201 of a secret's PUT and a variable's POST shows the example `null`, while
    // its schema (empty-object) is an object. The test server answers `{}`, as the schema says.
    const githubNull = failures.filter((f) => f.at.startsWith('github-actions-secrets.json') && / 201 default$/.test(f.at) && f.value === null);
    expect(githubNull.map((f) => f.at.split(' ')[1])).toEqual(['PUT', 'POST', 'PUT', 'POST', 'PUT', 'POST']);
    expect(failures.filter((f) => !githubNull.includes(f)).map(({ at, problems }) => ({ at, problems }))).toEqual([]);
  });

  it('reads nullable (3.0) as null allowed, and still checks the type and pattern', () => {
    const twilio = new OpenApiSpec('twilio-api-v2010.json');
    const key = '#/components/schemas/api.v2010.account.key';
    expect(twilio.validates('response', key, { sid: null, friendly_name: null })).toEqual([]);
    expect(twilio.validates('response', key, { sid: 'XX00' })).toEqual([expect.stringMatching(/\/sid must (NOT have fewer|match pattern)/)]);
    expect(twilio.validates('response', key, { date_created: '2016-06-13T22:50:08Z' })).toEqual([expect.stringMatching(/must match format "date-time-rfc-2822"/)]);
  });

  it('lets a request leave out a readOnly property the schema requires, but not an answer', () => {
    const cloudflare = new OpenApiSpec('cloudflare-user-tokens.json');
    const policy = '#/components/schemas/iam_policy_with_permission_groups_and_resources';
    const withoutId = { effect: 'allow', resources: {}, permission_groups: [{ id: 'x' }] };
    expect(cloudflare.validates('request', policy, withoutId)).toEqual([]);
    expect(cloudflare.validates('response', policy, withoutId)).toEqual([expect.stringMatching(/must have required property 'id'/)]);
  });

  it("finds Cloudflare's documented 4XX schema unsatisfiable (success must be true and false), which is why its errors are checked against the failure envelope", () => {
    const cloudflare = new OpenApiSpec('cloudflare-user-tokens.json');
    const failure = { success: false, errors: [{ code: 1000, message: 'Invalid API Token' }], messages: [], result: null };
    const documented = '#/paths/~1user~1tokens/get/responses/4XX/content/application~1json/schema';
    expect(cloudflare.validates('response', documented, failure)).toEqual([expect.stringMatching(/\/success must be equal to one of the allowed values \[true\]/)]);
    expect(cloudflare.validates('response', '#/components/schemas/iam_api-response-common-failure', failure)).toEqual([]);
  });

  it('finds the operation a request addresses, literal segments before templates, under the base path', () => {
    const cloudflare = new OpenApiSpec('cloudflare-user-tokens.json');
    expect(cloudflare.match('GET', '/client/v4/user/tokens/verify')).toMatchObject({ operation: { id: 'user-api-tokens-verify-token' } });
    expect(cloudflare.match('GET', '/client/v4/user/tokens/abc')).toMatchObject({ operation: { id: 'user-api-tokens-token-details' }, pathParams: { token_id: 'abc' } });
    expect(cloudflare.match('PATCH', '/client/v4/user/tokens/abc')).toEqual({ problem: 'PATCH is not documented for /user/tokens/{token_id}' });
    expect(cloudflare.match('GET', '/user/tokens')).toEqual({ problem: '/user/tokens is outside /client/v4' });
  });

  it('refuses a request with a bad path parameter, an undocumented query, a missing credential and a body that breaks the schema', () => {
    const datadog = new OpenApiSpec('datadog-v2.json');
    const create = datadog.operations.find((o) => o.id === 'CreateAPIKey')!;
    const checked = datadog.checkRequest(create, {
      query: new URLSearchParams('page[size]=10'), headers: { 'content-type': 'application/json' }, pathParams: {}, body: JSON.stringify({ data: { type: 'keys', attributes: {} } }),
    });
    expect(checked.credentialProblem).toBe('no credential of the kinds the operation accepts (apiKeyAuth + appKeyAuth)');
    expect(checked.problems).toEqual([
      'query parameter page[size] is not documented',
      expect.stringMatching(/^request body: .*\/data\/attributes must have required property 'name'.*\/data\/type must be equal to one of the allowed values \["api_keys"\]/),
    ]);

    const twilio = new OpenApiSpec('twilio-api-v2010.json');
    const fetchKey = twilio.operations.find((o) => o.id === 'FetchKey')!;
    const badSid = twilio.checkRequest(fetchKey, { query: new URLSearchParams(), headers: { authorization: 'Basic eDp5' }, pathParams: { AccountSid: `AC${'0'.repeat(32)}`, Sid: 'PK123' }, body: '' });
    expect(badSid.problems).toEqual([expect.stringMatching(/^path parameter Sid="PK123": /)]);
  });

  it('refuses an answer with a status the operation does not document, a body that breaks the schema, or a body where none is documented', () => {
    const datadog = new OpenApiSpec('datadog-v2.json');
    const op = (id: string) => datadog.operations.find((o) => o.id === id)!;
    expect(datadog.checkResponse(op('CreateAPIKey'), 200, { data: {} })).toEqual(['status 200 is not documented for CreateAPIKey']);
    expect(datadog.checkResponse(op('ListAPIKeys'), 200, { data: [{ type: 'api_keys', attributes: { last4: '12345' } }] })).toEqual([
      expect.stringMatching(/\/data\/0\/attributes\/last4 must NOT have more than 4 characters/),
    ]);
    expect(datadog.checkResponse(op('DeleteAPIKey'), 204, { deleted: true })).toEqual(['204 documents no body, but one was sent']);
    expect(datadog.checkResponse(op('DeleteAPIKey'), 401, { errors: 'Forbidden' }, { shape: '#/components/schemas/APIErrorResponse' })).toEqual([
      expect.stringMatching(/the vendor's error shape.*\/errors must be array/),
    ]);
  });
});
