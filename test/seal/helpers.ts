// Real openssl, real keys, temp folders: the seal tests prove interoperability, so nothing is mocked.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';

export const silentLog = pino({ level: 'silent' });

export function tempDir(prefix = 'sealdock-seal-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Runs openssl; returns exit status and output instead of throwing, so tests can assert failures. */
export function openssl(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync('openssl', args, { encoding: 'utf8', env: { ...process.env, ...opts.env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function opensslOk(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): string {
  return execFileSync('openssl', args, {
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface TestCa {
  dir: string;
  caCert: string;
  caKey: string;
}

/** A root CA made with openssl (independent of our own certificate code). */
export function makeCa(dir: string, name: string): TestCa {
  const caCert = path.join(dir, `${name}-ca.pem`);
  const caKey = path.join(dir, `${name}-ca.key`);
  opensslOk([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    caCert,
    '-days',
    '30',
    '-utf8',
    '-subj',
    `/O=${name} 测试/CN=${name} root CA`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { dir, caCert, caKey };
}

/** A leaf certificate issued by `ca` with the given X.509v3 extension lines; key file mode 0600. */
export function issueCert(
  ca: TestCa,
  name: string,
  extensions: string[],
  newkey: string[] = ['-newkey', 'rsa:2048'],
): { cert: string; key: string } {
  const key = path.join(ca.dir, `${name}.key`);
  const csr = path.join(ca.dir, `${name}.csr`);
  const cert = path.join(ca.dir, `${name}.pem`);
  const ext = path.join(ca.dir, `${name}.ext`);
  writeFileSync(ext, `${extensions.join('\n')}\n`);
  opensslOk(['req', ...newkey, '-nodes', '-keyout', key, '-out', csr, '-utf8', '-subj', `/O=某县公安局/CN=${name}`]);
  opensslOk([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.caCert,
    '-CAkey',
    ca.caKey,
    '-set_serial',
    `0x${Date.now().toString(16)}`,
    '-days',
    '30',
    '-sha256',
    '-extfile',
    ext,
    '-out',
    cert,
  ]);
  chmodSync(key, 0o600);
  return { cert, key };
}

export const SEAL_EXTENSIONS = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature,nonRepudiation',
];
