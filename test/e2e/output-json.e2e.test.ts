// Every command speaks JSON with --output json, on success and on failure alike, and what it prints
// is what the schemas in schema/ publish: a program reading keyrot's stdout never meets text.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyrot, type CliResult } from '../helpers/cli.js';
import { readState } from '../helpers/inspect.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

const SCHEMA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'schema');
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
for (const file of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json') && f !== 'rotation-plan.schema.json')) {
  ajv.addSchema(JSON.parse(readFileSync(path.join(SCHEMA_DIR, file), 'utf8')));
}
const schemaOf = (name: string) => `https://keyrot.dev/schema/${name}.schema.json`;

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

/** Run with --output json; every stdout line must be a document of the named schema. */
async function json(args: string[], schema: string): Promise<{ result: CliResult; docs: Array<Record<string, unknown>> }> {
  const result = await keyrot([...args, '--output', 'json'], { cwd: ws.dir });
  const lines = result.stdout.split('\n').filter(Boolean);
  expect(lines.length, `no output from keyrot ${args.join(' ')}; stderr: ${result.stderr}`).toBeGreaterThan(0);
  const docs = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const validate = ajv.getSchema(schemaOf(schema))!;
  for (const doc of docs) expect(validate(doc) ? [] : validate.errors, JSON.stringify(doc).slice(0, 300)).toEqual([]);
  const error = docs.find((d) => d.type === 'error');
  if (error) expect(result.code).toBe(error.exitCode);
  return { result, docs };
}

const BROKEN = ['apiVersion: keyrot/v1', 'name: Broken', 'source: { type: generated, bytes: 4 }', 'publish: []'].join('\n');

describe('--output json on every command', () => {
  it('run: events and a summary; an invalid plan is one error document listing every problem', async () => {
    ws.plan('demo', localPlan('demo', { drain: '0s', soak: '0s', rehearse: true }));
    const ok = await json(['run', '--yes', 'demo.yaml'], 'events');
    expect(ok.result.code).toBe(0);
    expect(ok.docs.at(-1)).toMatchObject({ type: 'summary', results: [{ plan: 'demo', outcome: { status: 'done' } }] });

    ws.write('broken.yaml', BROKEN);
    const bad = await json(['run', 'broken.yaml'], 'events');
    expect(bad.result.code).toBe(2);
    expect(bad.docs).toEqual([expect.objectContaining({ type: 'error', code: 'plan-invalid', problems: expect.arrayContaining([expect.objectContaining({ file: 'broken.yaml', line: 2 })]) })]);
    expect(bad.result.stderr).toBe('');
  });

  it('run: a gate that holds is an event with its hint, and the exit code says held', async () => {
    ws.plan('blocked', localPlan('blocked'));
    ws.write('blocked-keys.json', '{"apiKey":"written by hand"}');
    const held = await json(['run', 'blocked.yaml'], 'events');
    expect(held.result.code).toBe(3);
    expect(held.docs).toContainEqual(expect.objectContaining({ type: 'held', code: 'store-unmanaged' }));
  });

  it('run: a lock another run holds is a held event (lock-held), as the summary says, with exit 3', async () => {
    ws.plan('demo', localPlan('demo'));
    // A lock held by a live process (this test), as a run in another terminal holds it.
    const lock = path.join(ws.dir, '.keyrot', 'locks', 'demo.lock');
    mkdirSync(path.dirname(lock), { recursive: true });
    writeFileSync(lock, JSON.stringify({ host: os.hostname(), pid: process.pid, command: 'keyrot run demo.yaml', since: new Date().toISOString(), token: 'other' }));
    const locked = await json(['run', 'demo.yaml'], 'events');
    expect(locked.result.code).toBe(3);
    expect(locked.docs.map((d) => d.type)).toEqual(['held', 'summary']);
    expect(locked.docs[0]).toMatchObject({ plan: 'demo', code: 'lock-held', hint: expect.stringContaining('--wait-lock') });
    expect(locked.docs[1]).toMatchObject({ results: [{ plan: 'demo', outcome: { status: 'held', code: 'lock-held' } }] });
  });

  it('revoke: events on success; an unknown key is an error document', async () => {
    ws.plan('api', localPlan('api'));
    await keyrot(['run', 'api.yaml'], { cwd: ws.dir });
    const leaked = readState(path.join(ws.dir, '.keyrot'), 'api')!.newKeyId!;
    const ok = await json(['revoke', '--yes', '--key', leaked, 'api.yaml'], 'events');
    expect(ok.result.code).toBe(0);
    const unknown = await json(['revoke', '--yes', '--key', 'key-000000000000', 'api.yaml'], 'events');
    expect(unknown.docs).toEqual([expect.objectContaining({ type: 'error', code: 'revoke-no-owner' })]);
  });

  it('rollback, approve, abandon: a decision document; no rotation in flight is an error document', async () => {
    ws.plan('api', localPlan('api', { drain: '0s', delete: { requireApproval: true } }));
    await keyrot(['run', 'api.yaml'], { cwd: ws.dir });
    await keyrot(['run', '--no-wait', 'api.yaml'], { cwd: ws.dir }); // rotating: in the soak
    for (const decision of ['approve', 'rollback', 'abandon']) {
      const ok = await json([decision, 'api.yaml'], 'decision');
      expect(ok.result.code, ok.result.stdout).toBe(0);
      expect(ok.docs).toEqual([expect.objectContaining({ type: 'decision', decision, plan: 'api', file: 'api.yaml' })]);
    }
    const none = await json(['approve', 'api'], 'decision'); // by name, too
    expect(none.docs).toEqual([expect.objectContaining({ type: 'error', code: 'no-rotation', hint: expect.stringContaining('keyrot status api.yaml') })]);
  });

  it('validate and plan: results; invalid plans are error documents', async () => {
    ws.plan('demo', localPlan('demo'));
    ws.write('broken.yaml', BROKEN);
    expect((await json(['validate', 'demo.yaml'], 'validate')).docs[0]).toMatchObject({ type: 'validate', plans: [{ plan: 'demo', source: 'generated', targets: ['file'] }] });
    expect((await json(['validate', 'broken.yaml'], 'validate')).result.code).toBe(2);
    const dry = await json(['plan', 'demo.yaml'], 'plan');
    expect(dry.docs[0]).toMatchObject({ type: 'plan', plans: [{ plan: 'demo', inFlight: null, next: 'keyrot run demo.yaml' }] });
    expect((await json(['plan', 'broken.yaml'], 'plan')).result.code).toBe(2);
  });

  it('status and history: results; a bad argument is an error document', async () => {
    ws.plan('demo', localPlan('demo', { drain: '1h' }));
    await keyrot(['run', 'demo.yaml'], { cwd: ws.dir });
    await keyrot(['run', '--no-wait', 'demo.yaml'], { cwd: ws.dir });
    const status = await json(['status', 'demo.yaml'], 'status');
    expect(status.docs[0]).toMatchObject({ type: 'status', rotations: [{ plan: 'demo', phase: 'drain', stage: 'waiting' }] });
    // Every plan named, with its active key's age (issue 15).
    expect(status.docs[0]).toMatchObject({ plans: [{ plan: 'demo', activeKey: { ageSeconds: expect.any(Number) }, inFlight: { phase: 'drain', held: false }, overdue: false }] });
    expect((await json(['status'], 'status')).docs[0]).toMatchObject({ plans: [], rotations: [{ plan: 'demo' }] });
    expect(JSON.stringify(status.docs[0])).not.toContain('keysBeforeCreate');
    expect((await json(['status', 'nowhere.yaml'], 'status')).result.code).toBe(2);

    const history = await json(['history', 'demo.yaml'], 'history');
    expect(history.docs.length).toBeGreaterThan(2);
    expect((await json(['history', '--since', 'whenever'], 'history')).docs).toEqual([expect.objectContaining({ type: 'error', code: 'usage' })]);
  });

  it('state migrate: what moved, per plan; a missing --from is an error document', async () => {
    ws.plan('demo', localPlan('demo', { drain: '1h' }));
    await keyrot(['run', 'demo.yaml'], { cwd: ws.dir });
    await keyrot(['run', '--no-wait', 'demo.yaml'], { cwd: ws.dir });
    const moved = await json(['state', 'migrate', '--from', '.keyrot', '--to', 'moved'], 'state-migrate');
    expect(moved.result.code).toBe(0);
    expect(moved.docs[0]).toMatchObject({ type: 'state-migrate', plans: [{ plan: 'demo', state: 'copied', phase: 'drain', ledgerKeys: 2 }] });
    expect((await json(['state', 'migrate', '--from', 'nowhere', '--to', 'moved'], 'state-migrate')).docs).toEqual([expect.objectContaining({ type: 'error', code: 'usage' })]);
    expect((await json(['state', 'migrate', '--to', 'moved'], 'state-migrate')).result.code).toBe(2);
  });

  it('doctor: a report per plan and provider; a failing check is exit 4, an invalid plan an error document', async () => {
    ws.plan('demo', localPlan('demo'));
    const ok = await json(['doctor', 'demo.yaml'], 'doctor');
    expect(ok.result.code).toBe(0);
    expect(ok.docs[0]).toMatchObject({ type: 'doctor', ok: true, plans: [{ plan: 'demo', ok: true, providers: [{ role: 'issuer' }, { role: 'target' }] }] });
    ws.plan('vault', localPlan('vault', { publish: [{ type: 'vault-kv2', address: 'http://127.0.0.1:9', path: 'a/b', data: { k: '{{secret}}' } }] }));
    const failing = await json(['doctor', 'vault.yaml'], 'doctor');
    expect(failing.result.code).toBe(4);
    expect(failing.docs[0]).toMatchObject({ ok: false, plans: [{ providers: [{ role: 'issuer' }, { role: 'target', checks: [{ status: 'fail' }] }] }] });
    ws.write('broken.yaml', BROKEN);
    expect((await json(['doctor', 'broken.yaml'], 'doctor')).docs).toEqual([expect.objectContaining({ type: 'error', code: 'plan-invalid' })]);
  });

  it('schema prints the plan schema; a usage error is an error document, not commander text', async () => {
    const schema = await keyrot(['schema', '--output', 'json'], { cwd: ws.dir });
    expect(ajv.validateSchema(JSON.parse(schema.stdout))).toBe(true);
    const unknown = await json(['validate', '--frobnicate', 'x.yaml'], 'validate');
    expect(unknown.docs).toEqual([expect.objectContaining({ type: 'error', code: 'usage', message: expect.stringContaining('--frobnicate') })]);
    expect(unknown.result.stderr).toBe('');
  });
});
