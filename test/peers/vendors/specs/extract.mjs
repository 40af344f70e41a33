// Cuts a vendor's published OpenAPI description down to the operations a test server serves, with
// every component they reference (followed through $ref, transitively), copied verbatim. Run by hand
// when a vendor's description changes; the extracts it writes are what the tests read.
//
//   node test/peers/vendors/specs/extract.mjs <full-description.(json|yaml)> <out.json> <source.json> 'GET /path' ... ['#/components/kind/Name' ...]
//
// A '#/components/…' argument keeps a component no kept operation references (a vendor's error shape
// that its description defines but does not attach to these operations).
//
// <source.json> names where the full description came from ({repository, commit, path, license,
// licenseFile}); it is written into the extract as info.x-keyrot-extract, so each extract carries its
// own provenance.
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

const [input, output, sourceFile, ...operations] = process.argv.slice(2);
if (!input || !output || !sourceFile || operations.length === 0) {
  console.error("usage: extract.mjs <full.(json|yaml)> <out.json> <source.json> 'METHOD /path' ...");
  process.exit(2);
}
const text = readFileSync(input, 'utf8');
const full = input.endsWith('.json') ? JSON.parse(text) : parse(text, { maxAliasCount: -1 });
const source = JSON.parse(readFileSync(sourceFile, 'utf8'));

const paths = {};
const extraRefs = operations.filter((o) => o.startsWith('#/components/'));
for (const operation of operations.filter((o) => !o.startsWith('#/components/'))) {
  const [method, path] = operation.split(' ');
  const item = full.paths?.[path];
  const op = item?.[method.toLowerCase()];
  if (!op) throw new Error(`${operation}: not in ${input}`);
  paths[path] ??= Object.fromEntries(Object.entries(item).filter(([k]) => !['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'].includes(k)));
  paths[path][method.toLowerCase()] = op;
}

// Follow every local $ref from what is kept, and keep what it points to.
const components = {};
const pending = [paths, ...extraRefs.map(($ref) => ({ $ref }))];
const pointer = (ref) => ref.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
while (pending.length > 0) {
  const node = pending.pop();
  if (Array.isArray(node)) pending.push(...node);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/')) {
        const [, kind, name] = pointer(v);
        components[kind] ??= {};
        if (!(name in components[kind])) {
          const target = full.components?.[kind]?.[name];
          if (target === undefined) throw new Error(`${v}: not in ${input}`);
          components[kind][name] = target;
          pending.push(target);
        }
      } else pending.push(v);
    }
  }
}

// Security schemes are named, not referenced: keep those the kept operations (or the document) use.
const schemeNames = new Set();
for (const requirement of [full.security ?? [], ...Object.values(paths).flatMap((item) => Object.values(item).map((op) => op?.security ?? []))].flat()) {
  for (const name of Object.keys(requirement ?? {})) schemeNames.add(name);
}
if (schemeNames.size > 0) {
  components.securitySchemes = Object.fromEntries([...schemeNames].sort().map((n) => [n, full.components.securitySchemes[n]]));
}

const sorted = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
const extract = {
  openapi: full.openapi,
  info: { title: full.info?.title, version: full.info?.version, ...(full.info?.license ? { license: full.info.license } : {}), 'x-keyrot-extract': { ...source, operations } },
  ...(full.servers ? { servers: full.servers } : {}),
  ...(full.security ? { security: full.security } : {}),
  paths,
  components: Object.fromEntries(Object.entries(components).map(([k, v]) => [k, sorted(v)])),
};
// Written as JSON: the kit reads it with JSON.parse, and a diff against a newer extract stays readable.
writeFileSync(output, `${JSON.stringify(extract, null, 2)}\n`);
console.log(`${output}: ${operations.length} operations, ${Object.values(components).reduce((n, c) => n + Object.keys(c).length, 0)} components`);
