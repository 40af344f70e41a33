// Lowkey Vault (an independently written Azure Key Vault emulator) as a test peer: the jar comes from
// scripts/test-peers/lowkey-vault.sh, runs on the Temurin 25 JDK, on 127.0.0.1 and free ports. Its
// self-signed certificate is fetched from the token port and handed to the caller as PEM, to trust
// through the client's TLS options only.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify, stripVTControlCharacters as stripAnsi } from 'node:util';
import { freePort } from './free-port.js';

const REPO = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = path.join(REPO, 'scripts', 'test-peers', 'lowkey-vault.sh');
const JAVA = process.env.KEYROT_LOWKEY_JAVA ?? '/usr/lib/jvm/temurin-25-jdk-amd64/bin/java';
const run = promisify(execFile);

export interface LowkeyVault {
  /** https://127.0.0.1:PORT: Lowkey's default vault for that authority. */
  vaultUrl: string;
  /** PEM of Lowkey's certificate. */
  ca: string;
  /** For DefaultAzureCredential: Lowkey's managed identity endpoint (App Service style). */
  identityEnv: Record<string, string>;
  stop(): Promise<void>;
}

/** The jar's path, or why it cannot be had (exit 3 from the script: not downloadable here). */
export async function installLowkeyVault(): Promise<{ jar: string } | { unavailable: string }> {
  try {
    const { stdout } = await run('bash', [SCRIPT, 'install'], { maxBuffer: 1 << 20 });
    return { jar: stdout.trim().split('\n').pop()! };
  } catch (e) {
    const { code, stderr } = e as { code?: number; stderr?: string };
    if (code === 3) return { unavailable: stripAnsi(stderr ?? '').trim().split('\n').pop() ?? 'not available' };
    throw e;
  }
}

/** Lowkey's default certificate (PKCS#12, password "changeit") as PEM, via openssl. */
async function fetchCertificate(tokenPort: number): Promise<string | undefined> {
  const res = await fetch(`http://127.0.0.1:${tokenPort}/metadata/default-cert/lowkey-vault.p12`).catch(() => undefined);
  if (!res?.ok) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-lowkey-'));
  try {
    const p12 = path.join(dir, 'cert.p12');
    writeFileSync(p12, Buffer.from(await res.arrayBuffer()));
    const args = ['pkcs12', '-in', p12, '-passin', 'pass:changeit', '-nokeys'];
    // OpenSSL 3 refuses older PKCS#12 encryption without -legacy.
    const { stdout } = await run('openssl', args).catch(() => run('openssl', [...args, '-legacy']));
    return stdout.slice(stdout.indexOf('-----BEGIN CERTIFICATE-----'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The vault port answers (any HTTP status, e.g. the 401 challenge) over TLS with that certificate. */
function answers(vaultUrl: string, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(`${vaultUrl}/secrets?api-version=7.6`, { ca, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

export async function startLowkeyVault(jar: string): Promise<LowkeyVault> {
  const [port, tokenPort] = [await freePort(), await freePort()];
  const vaultUrl = `https://127.0.0.1:${port}`;
  const child = spawn(JAVA, [
    '-Xmx512m', '-jar', jar,
    `--server.port=${port}`, '--server.address=127.0.0.1', `--app.token.port=${tokenPort}`,
    '--logging.level.root=WARN',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const exited = once(child, 'exit');

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 120_000; // a JVM on 2 cores: tens of seconds
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Lowkey Vault exited (${child.exitCode}):\n${log}`);
    const ca = await fetchCertificate(tokenPort);
    if (ca && (await answers(vaultUrl, ca))) {
      return {
        vaultUrl,
        ca,
        identityEnv: { IDENTITY_ENDPOINT: `http://127.0.0.1:${tokenPort}/metadata/identity/oauth2/token`, IDENTITY_HEADER: 'header' },
        stop,
      };
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Lowkey Vault did not answer on ${vaultUrl} within 120s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
