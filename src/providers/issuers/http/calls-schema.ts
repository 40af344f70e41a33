// The calls an http issuer makes, as a plan (or a preset) writes them: method, path under the base
// URL, query, headers and body templates, and JSON paths (RFC 9535) saying where in the answer each
// value is. Paths are checked here only for their form; the http issuer parses them when it starts.
import * as z from 'zod';

const jsonPath = z
  .string()
  .regex(/^\$/, 'a JSON path (RFC 9535) starting with $, e.g. $.data.id')
  .describe('a JSON path (RFC 9535) into the answer, e.g. $.data.id');

const httpName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'an HTTP header name');

/** A JSON value written in YAML, with templates in its strings. */
const jsonTemplate: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonTemplate), z.record(z.string(), jsonTemplate)]),
);

export const request = {
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'LIST']).describe('LIST is Vault\'s own list verb'),
  path: z
    .string()
    .regex(/^\/[^\s]*$/, 'a path under baseUrl, starting with /, e.g. /v1/keys/{{keyId}}')
    .describe('under baseUrl; placeholders are URL-encoded'),
  query: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()])).optional().describe('query parameters (templates)'),
  headers: z.record(httpName, z.string()).optional().describe('extra headers (templates; never a credential: use auth)'),
  body: jsonTemplate.optional().describe('the body: JSON, or form fields with encoding: form (templates)'),
  encoding: z.enum(['json', 'form']).default('json').describe('how the body is sent: application/json or application/x-www-form-urlencoded'),
};

const call = z.strictObject(request);

const paging = z
  .discriminatedUnion('style', [
    z.strictObject({
      style: z.literal('page'),
      pageParam: z.string().min(1).describe('the page number parameter, e.g. page or page[number]'),
      sizeParam: z.string().min(1).describe('the page size parameter, e.g. per_page or page[size]'),
      size: z.int().min(1).max(1000).default(100),
      first: z.int().min(0).max(1).default(1).describe('the number of the first page (0 or 1)'),
      totalPagesPath: jsonPath.optional().describe('where the answer says how many pages there are; without it, a short page is the last'),
      totalItemsPath: jsonPath.optional().describe('or where it says how many keys there are in all, e.g. $.result_info.total_count'),
    }),
    z.strictObject({
      style: z.literal('cursor'),
      param: z.string().min(1).describe('the parameter that takes the cursor, e.g. after'),
      cursorPath: jsonPath.describe('where the next cursor is: $.next_cursor, or $.last_id with morePath'),
      morePath: jsonPath.optional().describe('where the answer says whether more pages follow, e.g. $.has_more'),
      sizeParam: z.string().min(1).optional(),
      size: z.int().min(1).max(1000).default(100),
    }),
    z.strictObject({
      style: z.literal('next-link'),
      nextPath: jsonPath.describe('where the next page\'s URL or path is (on the same host), e.g. $.next_page_uri'),
      sizeParam: z.string().min(1).optional(),
      size: z.int().min(1).max(1000).default(100),
    }),
  ])
  .describe('how the list is paged; without it, one answer holds every key');

const doctorStep = z
  .strictObject({
    ...request,
    check: z.enum(['credentials', 'permissions']).describe('what the step checks, as doctor names it'),
    proves: z.string().min(1).describe('what a pass shows, e.g. "the admin key holds the api_keys scopes"'),
    capture: z.record(z.string().regex(/^[A-Za-z]\w*$/), jsonPath).optional().describe('values later steps use as {{found.<name>}}'),
    expect: z
      .array(
        z.strictObject({
          path: z.string().regex(/^\$/, 'a JSON path').describe('where the granted values are (templates allowed)'),
          includes: z.array(z.string()).describe('the values it must find there (templates)'),
          orOneOf: z.array(z.string()).optional().describe('or any one of these, which grants all (Vault: root)'),
        }),
      )
      .optional(),
  })
  .describe('one read-only call of keyrot doctor; any 2xx passes unless expect says more');

const status = z
  .strictObject({
    path: jsonPath.describe('where a key\'s status is, e.g. $.status'),
    active: z.array(z.union([z.string(), z.boolean()])).min(1).describe('the values that mean active, e.g. [active] or [true]'),
  })
  .describe('without it, every listed key counts as active');

export const callsSchema = z
  .strictObject({
    create: call
      .extend({
        idPath: jsonPath.describe('where the new key\'s id is in the answer'),
        secretPath: jsonPath.describe('where the new key\'s secret is in the answer (the only place keyrot ever gets it)'),
        createdPath: jsonPath.optional().describe('where its creation time is (ISO 8601, RFC 2822 or Unix seconds)'),
        vendorLimit: z
          .strictObject({
            on: z.array(z.int().min(400).max(499)).min(1).describe('the statuses the vendor answers when it holds its most keys'),
            max: z.int().min(1).describe('its limit: a refusal counts as the limit only when the list shows this many keys (anyone\'s)'),
            says: z.string().min(1).describe('the vendor\'s limit, for the message: "Datadog allows 50 API keys in an organization"'),
          })
          .optional()
          .describe('the vendor\'s own limit on keys (all of them, keyrot\'s or not): a create refused with one of these statuses holds the rotation (exit 3)'),
      })
      .optional(),
    list: call
      .extend({
        itemsPath: jsonPath.describe('where the list (a JSON array) of keys is in the answer, e.g. $.data'),
        idPath: jsonPath.describe('where a key\'s id is in each listed item, e.g. $.id ($ when the item is the id); the other paths read the detail answer where there is one'),
        namePath: jsonPath.optional().describe('where a key\'s name is; the default marker matches it'),
        createdPath: jsonPath.optional().describe('where a key\'s creation time is; without it, the time keyrot recorded'),
        lastUsedPath: jsonPath.optional().describe('where a key\'s last use is (null: never used), for the quiet gate'),
        status: status.optional(),
        emptyOn: z.array(z.int().min(400).max(499)).optional().describe('statuses that mean "no keys" (Vault answers 404 to an empty LIST)'),
        detail: call.optional().describe('a call made for each listed id ({{keyId}}) whose answer holds the fields above'),
        paging: paging.optional(),
      })
      .optional(),
    delete: call
      .extend({
        goneOn: z.array(z.int().min(400).max(499)).default([404]).describe('statuses that mean the key is already gone'),
        listFirst: z.boolean().default(false).describe('list first and skip a key already gone, for vendors whose delete of a missing key is an error (Vault answers 500)'),
      })
      .optional(),
    deactivate: call.optional().describe('switch a key off, reversibly; without it deactivate is skipped and the old key stays valid until it is deleted after the soak'),
    reactivate: call.optional().describe('switch it on again (rollback); needed with deactivate'),
    verify: call
      .extend({
        auth: z
          .discriminatedUnion('type', [
            z.strictObject({ type: z.literal('none') }),
            z.strictObject({ type: z.literal('bearer') }),
            z.strictObject({ type: z.literal('basic'), username: z.string().min(1).describe('template, e.g. {{keyId}}') }),
            z.strictObject({ type: z.literal('header'), name: httpName, prefix: z.string().default('') }),
          ])
          .describe('how the request carries the new key: its secret as a bearer token, basic password or header, or none (body templates use {{secret}})'),
        expect: z
          .strictObject({
            path: jsonPath.describe('where the answer says the key is usable, e.g. $.result.status'),
            equals: z.array(z.union([z.string(), z.boolean()])).min(1).describe('the values that mean it is, e.g. [active]'),
          })
          .optional()
          .describe('for a vendor that answers 2xx for a key it would refuse (Cloudflare: a disabled token)'),
      })
      .optional()
      .describe('one request made with the new key; a 2xx (and expect, where given) proves it authenticates'),
    lastUsed: call
      .extend({
        atPath: jsonPath.describe('where the last use time is (null: never used); in the key\'s item with itemsPath'),
        itemsPath: jsonPath.optional().describe('for a list of usage records: where they are, e.g. $.data'),
        idPath: jsonPath.optional().describe('with itemsPath: where in a record the key\'s id is, e.g. $.owner.service_account.id'),
        paging: paging.optional(),
      })
      .refine((c) => (c.itemsPath === undefined) === (c.idPath === undefined), 'give itemsPath and idPath together')
      .optional()
      .describe('a call that answers when {{keyId}} was last used (or a list of records, one per key); or list.lastUsedPath'),
    doctor: z.array(doctorStep).optional().describe('read-only calls keyrot doctor makes with the admin credential, in order'),
  })
  .describe('the vendor\'s admin calls; a preset fills them');

export type CallsInput = z.input<typeof callsSchema>;
export type Calls = z.output<typeof callsSchema>;
export type Call = z.output<typeof call>;
export type Paging = NonNullable<NonNullable<Calls['list']>['paging']>;
