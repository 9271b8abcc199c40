// CAdES-B-B / B-T seals checked by two verifiers nobody here wrote: OpenSSL (`cms -verify`,
// `ts -verify`) and Bouncy Castle (test/seal/bc/VerifyCades.java), for every key type we sign with.
// Bouncy Castle is required: a machine without java or the Debian BC jars fails this file loudly.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareSigner, signDetached } from '../../src/seal/cms.js';
import { signatureValueOf } from '../../src/seal/cms-parse.js';
import { loadConfiguredSeal } from '../../src/seal/keys.js';
import type { SealMaterial } from '../../src/seal/keys.js';
import { createSealer } from '../../src/seal/sealer.js';
import { verifyDetached } from '../../src/seal/verify.js';
import { startTestTsa } from '../helpers/tsa.js';
import type { TestTsa } from '../helpers/tsa.js';
import { issueCert, makeCa, openssl, SEAL_EXTENSIONS, tempDir } from './helpers.js';
import type { TestCa } from './helpers.js';

const BC_JARS = ['bcprov', 'bcpkix', 'bcutil'].map((j) => `/usr/share/java/${j}.jar`);
const CLASSPATH_SEP = ':';

let dir: string;
let ca: TestCa;
let caPem: string;
let tsa: TestTsa;
let classes: string;

/** Runs the Bouncy Castle checker; returns its exit status and report. */
function bouncyCastle(p7s: string, content: string, extra: string[] = []) {
  const r = spawnSync(
    'java',
    ['-cp', [classes, ...BC_JARS].join(CLASSPATH_SEP), 'VerifyCades', p7s, content, ca.caCert, ...extra],
    { encoding: 'utf8' },
  );
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function opensslCms(p7s: string, content: string) {
  return openssl([
    'cms',
    '-verify',
    '-binary',
    '-inform',
    'DER',
    '-in',
    p7s,
    '-content',
    content,
    '-CAfile',
    ca.caCert,
    '-out',
    '/dev/null',
  ]);
}

beforeAll(async () => {
  const missing = [
    ...['java', 'javac'].filter((t) => spawnSync(t, ['-version']).error !== undefined),
    ...BC_JARS.filter((j) => !existsSync(j)),
  ];
  if (missing.length > 0) {
    throw new Error(
      `Bouncy Castle check cannot run, missing: ${missing.join(', ')}. ` +
        'Install Java 17 and Debian libbcprov-java libbcpkix-java libbcutil-java (.ci/run does).',
    );
  }
  dir = tempDir('sealdock-cades-');
  classes = path.join(dir, 'classes');
  execFileSync('javac', [
    '-d',
    classes,
    '-cp',
    BC_JARS.join(CLASSPATH_SEP),
    path.join(import.meta.dirname, 'bc', 'VerifyCades.java'),
  ]);
  ca = makeCa(dir, 'cades');
  caPem = readFileSync(ca.caCert, 'utf8');
  tsa = await startTestTsa(path.join(dir, 'tsa'));
}, 120_000);

afterAll(() => tsa?.close());

const KEY_TYPES: [string, string[]][] = [
  ['RSA PKCS#1 v1.5', ['-newkey', 'rsa:3072']],
  ['RSA-PSS', ['-newkey', 'rsa-pss', '-pkeyopt', 'rsa_keygen_bits:2048']],
  ['ECDSA P-256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']],
  ['ECDSA P-384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384']],
];

function material(name: string, newkey: string[]): SealMaterial {
  const leaf = issueCert(ca, name, SEAL_EXTENSIONS, newkey);
  return loadConfiguredSeal({ devDir: path.join(dir, 'dev'), keyFile: leaf.key, certFile: leaf.cert })!;
}

describe('CAdES seals against OpenSSL and Bouncy Castle', () => {
  for (const [label, newkey] of KEY_TYPES) {
    it(`${label}: CAdES-B-B verifies in openssl cms, Bouncy Castle and our verifier`, async () => {
      const m = material(label.replace(/[^a-z0-9]+/gi, '-'), newkey);
      const content = Buffer.from(`{"caseNumber":"（2026）湘行罚字第17号","key":"${label}"}`);
      const p7s = (await signDetached(content, m.signer)).der;
      const base = path.join(dir, `${label.replace(/[^a-z0-9]+/gi, '-')}.json`);
      writeFileSync(base, content);
      writeFileSync(`${base}.p7s`, p7s);
      const o = opensslCms(`${base}.p7s`, base);
      expect(o.stderr).toContain('Verification successful');
      const bc = bouncyCastle(`${base}.p7s`, base);
      expect(bc.out).toContain('OK   ESSCertIDv2 hash is the signer certificate');
      expect(bc.out).toContain('BC VERIFIED');
      expect(bc.status).toBe(0);
      const own = verifyDetached(content, p7s, { trustedCaPems: [caPem] });
      expect(own.problems).toEqual([]);
      expect(own.profile).toBe('CAdES-B-B');
    }, 60_000);
  }

  it('CAdES-B-T: the token is embedded over the signature value and also returned for the .tsr file', async () => {
    tsa.mode = 'ok';
    const m = material('seal-t', ['-newkey', 'rsa:3072']);
    const sealer = createSealer(m, { tsaUrl: tsa.url });
    const content = Buffer.from('{"evidenceId":"ev-t"}');
    const out = await sealer.seal(content);
    const base = path.join(dir, 'b-t.json');
    writeFileSync(base, content);
    writeFileSync(`${base}.p7s`, out.signature);
    writeFileSync(`${base}.tsr`, out.timestampToken!);
    expect(opensslCms(`${base}.p7s`, base).status).toBe(0);
    const bc = bouncyCastle(`${base}.p7s`, base, ['--tsa-ca', tsa.ca.caCert, '--require-timestamp']);
    expect(bc.out).toContain('OK   time-stamp imprint is the hash of the signature value');
    expect(bc.out).toContain('OK   TimeStampToken.validate');
    expect(bc.out).toContain('OK   the TSA certificate chains to the TSA CA');
    expect(bc.status).toBe(0);

    // The plain openssl recipe on the .tsr: the signature value is the SignerInfo's OCTET STRING.
    writeFileSync(path.join(dir, 'b-t.sigvalue'), signatureValueOf(out.signature));
    const ts = openssl([
      'ts',
      '-verify',
      '-data',
      path.join(dir, 'b-t.sigvalue'),
      '-in',
      `${base}.tsr`,
      '-token_in',
      '-CAfile',
      tsa.ca.caCert,
    ]);
    expect(ts.stdout).toContain('Verification: OK');

    const tsaPem = readFileSync(tsa.ca.caCert, 'utf8');
    const own = verifyDetached(content, out.signature, { trustedCaPems: [caPem], tsaTrustedCaPems: [tsaPem] });
    expect(own.problems).toEqual([]);
    expect(own.profile).toBe('CAdES-B-T');
    expect(own.timestampTime).toBeDefined();
    // With the file as well: it must be the embedded token.
    expect(
      verifyDetached(content, out.signature, { trustedCaPems: [caPem], timestampToken: out.timestampToken! }).ok,
    ).toBe(true);
    const other = await createSealer(m, { tsaUrl: tsa.url }).seal(content);
    const mismatch = verifyDetached(content, out.signature, {
      trustedCaPems: [caPem],
      timestampToken: other.timestampToken!,
    });
    expect(mismatch.problems.join()).toMatch(/not the time-stamp token embedded/);
  }, 60_000);

  it('a seal whose signing-certificate-v2 names another certificate fails everywhere it is checked', async () => {
    // Same key, two certificates: the signature is valid, but the signed attribute binds the other one.
    const leaf = issueCert(ca, 'seal-ess', SEAL_EXTENSIONS);
    const m = loadConfiguredSeal({ devDir: path.join(dir, 'dev'), keyFile: leaf.key, certFile: leaf.cert })!;
    const twin = path.join(dir, 'twin.pem');
    const csr = path.join(dir, 'twin.csr');
    execFileSync('openssl', ['req', '-new', '-key', leaf.key, '-subj', '/O=twin/CN=twin', '-out', csr]);
    execFileSync('openssl', [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.caCert,
      '-CAkey',
      ca.caKey,
      '-set_serial',
      '4242',
      '-days',
      '30',
      '-out',
      twin,
    ]);
    const twinSigner = prepareSigner({ key: m.key, certificatePem: readFileSync(twin, 'utf8'), chainPems: [] });
    const forged = {
      ...m.signer,
      der: { ...m.signer.der, signingCertificateV2Attribute: twinSigner.der.signingCertificateV2Attribute },
    };
    const content = Buffer.from('{"forged":true}');
    const p7s = (await signDetached(content, forged)).der;
    const base = path.join(dir, 'ess.json');
    writeFileSync(base, content);
    writeFileSync(`${base}.p7s`, p7s);
    const bc = bouncyCastle(`${base}.p7s`, base);
    expect(bc.out).toContain('FAIL ESSCertIDv2 hash is the signer certificate');
    expect(bc.status).not.toBe(0);
    const own = verifyDetached(content, p7s, { trustedCaPems: [caPem] });
    expect(own.ok).toBe(false);
    expect(own.problems.join()).toMatch(/signing-certificate-v2 names another certificate/);
  }, 60_000);

  it('a flipped content byte fails Bouncy Castle', async () => {
    const m = material('seal-flip', ['-newkey', 'rsa:2048']);
    const content = Buffer.from('{"a":1}');
    const base = path.join(dir, 'flip.json');
    writeFileSync(`${base}.p7s`, (await signDetached(content, m.signer)).der);
    writeFileSync(base, '{"a":2}');
    const bc = bouncyCastle(`${base}.p7s`, base);
    expect(bc.status).not.toBe(0);
  }, 60_000);
});
