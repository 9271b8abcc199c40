// Loading a configured seal: file modes, PKCS#12 with the passphrase from the environment, and the
// refusals (wrong key, outside validity, missing passphrase).
import { chmodSync, copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isSealdockError } from '../../src/errors.js';
import { signDetached } from '../../src/seal/cms.js';
import { initDevSeal } from '../../src/seal/dev-seal.js';
import { loadConfiguredSeal } from '../../src/seal/keys.js';
import type { SealConfig } from '../../src/seal/keys.js';
import { issueCert, makeCa, openssl, opensslOk, SEAL_EXTENSIONS, tempDir } from './helpers.js';
import type { TestCa } from './helpers.js';

let dir: string;
let ca: TestCa;
let seal: { cert: string; key: string };

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

beforeAll(() => {
  dir = tempDir();
  ca = makeCa(dir, 'keys');
  seal = issueCert(ca, 'seal-a', SEAL_EXTENSIONS);
});

describe('PEM seal', () => {
  const config = (): SealConfig => ({
    devDir: path.join(dir, 'dev'),
    keyFile: seal.key,
    certFile: seal.cert,
    chainFile: ca.caCert,
  });

  it('refuses a key file readable by group/others (0644) and names the file and chmod 600', () => {
    chmodSync(seal.key, 0o644);
    const err = thrown(() => loadConfiguredSeal(config()));
    expect(isSealdockError(err, 'SEAL_INVALID')).toBe(true);
    expect((err as Error).message).toContain(seal.key);
    expect((err as Error).message).toContain('chmod 600');
    chmodSync(seal.key, 0o640);
    expect(
      isSealdockError(
        thrown(() => loadConfiguredSeal(config())),
        'SEAL_INVALID',
      ),
    ).toBe(true);
  });

  it('accepts a 0600 key file and reports the certificate', () => {
    chmodSync(seal.key, 0o600);
    const m = loadConfiguredSeal(config())!;
    expect(m.info.development).toBe(false);
    expect(m.info.subject).toContain('某县公安局');
    expect(m.info.certificateSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.chainPems).toHaveLength(1);
  });

  it('returns undefined when nothing is configured', () => {
    expect(loadConfiguredSeal({ devDir: path.join(dir, 'dev'), keyFile: null, certFile: null })).toBeUndefined();
  });

  it('refuses a key that does not belong to the certificate', () => {
    const other = issueCert(ca, 'seal-other', SEAL_EXTENSIONS);
    const err = thrown(() => loadConfiguredSeal({ ...config(), keyFile: other.key }));
    expect(isSealdockError(err, 'SEAL_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/does not match/);
  });

  it('refuses a certificate that is expired or not yet valid', () => {
    const later = new Date(Date.now() + 365 * 24 * 3600_000);
    expect((thrown(() => loadConfiguredSeal(config(), { now: later })) as Error).message).toMatch(/not valid now/);
    const earlier = new Date('2000-01-01T00:00:00Z');
    expect(
      isSealdockError(
        thrown(() => loadConfiguredSeal(config(), { now: earlier })),
        'SEAL_INVALID',
      ),
    ).toBe(true);
  });

  it('refuses half a PEM configuration', () => {
    expect(
      isSealdockError(
        thrown(() => loadConfiguredSeal({ devDir: dir, keyFile: seal.key })),
        'SEAL_INVALID',
      ),
    ).toBe(true);
  });
});

describe('PKCS#12 seal', () => {
  let p12: string;
  const env = { TEST_SEAL_PASS: 'correct horse 电池' };

  beforeAll(() => {
    p12 = path.join(dir, 'seal.p12');
    // OpenSSL 3 defaults: PBES2 / AES-256-CBC, HMAC-SHA-256 MAC.
    opensslOk(
      [
        'pkcs12',
        '-export',
        '-inkey',
        seal.key,
        '-in',
        seal.cert,
        '-certfile',
        ca.caCert,
        '-out',
        p12,
        '-passout',
        'env:TEST_SEAL_PASS',
      ],
      { env },
    );
    chmodSync(p12, 0o600);
  });

  it('loads with the passphrase from the named environment variable, and seals verifiably', async () => {
    const m = loadConfiguredSeal({ devDir: dir, pkcs12File: p12, passphraseEnv: 'TEST_SEAL_PASS' }, { env })!;
    expect(m.info.subject).toContain('seal-a');
    expect(m.chainPems).toHaveLength(1);
    const content = Buffer.from('{"a":1}');
    writeFileSync(path.join(dir, 'p12.json'), content);
    writeFileSync(path.join(dir, 'p12.json.p7s'), (await signDetached(content, m.signer)).der);
    const r = openssl([
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      path.join(dir, 'p12.json.p7s'),
      '-content',
      path.join(dir, 'p12.json'),
      '-CAfile',
      ca.caCert,
      '-purpose',
      'any',
      '-out',
      '/dev/null',
    ]);
    expect(r.status).toBe(0);
  });

  it('refuses a wrong passphrase, a missing variable, and a readable file', () => {
    const cfg = { devDir: dir, pkcs12File: p12, passphraseEnv: 'TEST_SEAL_PASS' };
    expect(
      isSealdockError(
        thrown(() => loadConfiguredSeal(cfg, { env: { TEST_SEAL_PASS: 'wrong' } })),
        'SEAL_INVALID',
      ),
    ).toBe(true);
    const missing = thrown(() => loadConfiguredSeal(cfg, { env: {} })) as Error;
    expect(missing.message).toContain('TEST_SEAL_PASS');
    const loose = path.join(dir, 'loose.p12');
    copyFileSync(p12, loose);
    chmodSync(loose, 0o644);
    expect((thrown(() => loadConfiguredSeal({ ...cfg, pkcs12File: loose }, { env })) as Error).message).toContain(
      'chmod 600',
    );
  });

  it('refuses pkcs12File together with keyFile', () => {
    const err = thrown(() =>
      loadConfiguredSeal({ devDir: dir, pkcs12File: p12, keyFile: seal.key, certFile: seal.cert }, { env }),
    );
    expect(isSealdockError(err, 'SEAL_INVALID')).toBe(true);
  });
});

describe('development seal', () => {
  it('writes CA, seal and README with private keys 0600, and a legal-person certificate', () => {
    const devDir = path.join(dir, 'devseal');
    expect(initDevSeal(devDir, '某县公安局')).toBe(true);
    expect(initDevSeal(devDir, '某县公安局')).toBe(false); // idempotent
    for (const f of ['ca.key.pem', 'seal.key.pem']) expect(statSync(path.join(devDir, f)).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(devDir, 'DEVELOPMENT-SEAL-README.txt'), 'utf8')).toMatch(/DEVELOPMENT SEAL/);
    const text = opensslOk(['x509', '-in', path.join(devDir, 'seal.pem'), '-noout', '-text', '-nameopt', 'utf8']);
    expect(text).toContain('O=某县公安局');
    expect(text).toContain('CN=sealdock development seal — 某县公安局');
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Non Repudiation/);
    expect(text).toMatch(/CA:FALSE/);
    const caText = opensslOk(['x509', '-in', path.join(devDir, 'ca.pem'), '-noout', '-text']);
    expect(caText).toMatch(/CA:TRUE/);
    expect(caText).toMatch(/Certificate Sign/);
    const chain = openssl(['verify', '-CAfile', path.join(devDir, 'ca.pem'), path.join(devDir, 'seal.pem')]);
    expect(chain.status).toBe(0);
    expect(existsSync(`${devDir}.tmp`)).toBe(false);
  });
});
