// The output filter's cost per line as a run sees more secrets: one secret (the baseline) against
// 2000, what a 1000-plan fleet run sees (each rotation sees its new secret and may read back the old).
// Usage: npm run build && node bench/redact.mjs [lines=20000] [--json]
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fork } from 'node:child_process';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const json = process.argv.includes('--json');
const lines = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 20000);

// Each case in a fresh process: the filter's set of secrets only grows.
if (process.env.REDACT_BENCH_SECRETS) {
  const { redact, rememberSecret } = await import(pathToFileURL(path.join(root, 'dist/secrets/redact.js')).href);
  const secrets = Array.from({ length: Number(process.env.REDACT_BENCH_SECRETS) }, () => randomBytes(30).toString('base64'));
  secrets.forEach(rememberSecret);
  const line = '2026-12-01T12:00:00.000Z p417 published AKIAIOSFODNN7EXAMPLE to vault-kv2 secret/p417 (version 3)\n';
  for (let i = 0; i < 2000; i++) redact(line); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < lines; i++) redact(line);
  process.send(Number(process.hrtime.bigint() - start) / 1e3 / lines);
  process.exit(0);
}

const measure = (secrets) => new Promise((resolve, reject) => {
  const child = fork(fileURLToPath(import.meta.url), [String(lines)], { env: { ...process.env, REDACT_BENCH_SECRETS: String(secrets) } });
  child.on('message', resolve);
  child.on('exit', (code) => code !== 0 && reject(new Error(`case ${secrets} exited ${code}`)));
});

const cases = [];
for (const secrets of [1, 2000]) cases.push({ secrets, usPerLine: await measure(secrets) });
const baseline = cases[0].usPerLine;
for (const c of cases) c.ratio = c.usPerLine / baseline;
if (json) console.log(JSON.stringify({ lines, cases }, null, 2));
else for (const c of cases) console.log(`${String(c.secrets).padStart(5)} secrets seen: ${c.usPerLine.toFixed(2)} µs per line (${c.ratio.toFixed(2)}× one secret)`);
