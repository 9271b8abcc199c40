// Our detached CMS seal against stock OpenSSL, our own verifier, and the DER rules (forge #1013).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_SEALED_CONTENT_BYTES, signDetached } from '../../src/seal/cms.js';
import { OID } from '../../src/seal/cms-parse.js';
import { loadDevSeal } from '../../src/seal/dev-seal.js';
import { createSealService } from '../../src/seal/index.js';
import type { SealService } from '../../src/seal/index.js';
import { isSealdockError } from '../../src/errors.js';
import { openssl, silentLog, tempDir } from './helpers.js';

let dir: string;
let service: SealService;
let caFile: string;
const manifest = Buffer.from('{"collector":{"id":"031245","name":"张三"},"place":{"text":"东街12号"}}', 'utf8');
let p7s: Buffer;

// The exact command an auditor runs (also in docs/seal.md). It succeeds with and without
// `-purpose any`: the seal certificate has no extendedKeyUsage, so OpenSSL's default smimesign
// purpose only checks keyUsage digitalSignature/nonRepudiation, which the seal has.
function opensslVerify(contentFile: string, sigFile: string, extra: string[] = []) {
  return openssl([
    'cms',
    '-verify',
    '-binary',
    '-inform',
    'DER',
    '-in',
    sigFile,
    '-content',
    contentFile,
    '-CAfile',
    caFile,
    '-purpose',
    'any',
    '-out',
    path.join(dir, 'out.bin'),
    ...extra,
  ]);
}

beforeAll(async () => {
  dir = tempDir();
  service = createSealService({ devDir: path.join(dir, 'seal'), organisation: '某县公安局' }, silentLog);
  caFile = path.join(dir, 'seal', 'ca.pem');
  p7s = (await service.seal(manifest)).signature;
  writeFileSync(path.join(dir, 'manifest.json'), manifest);
  writeFileSync(path.join(dir, 'manifest.json.p7s'), p7s);
});

describe('detached CMS seal', () => {
  it('verifies with stock openssl cms -verify against the CA', () => {
    const r = opensslVerify(path.join(dir, 'manifest.json'), path.join(dir, 'manifest.json.p7s'));
    expect(r.stderr).toContain('Verification successful');
    expect(r.status).toBe(0);
    expect(readFileSync(path.join(dir, 'out.bin')).equals(manifest)).toBe(true);
    // Without -purpose any as well (see the comment on opensslVerify).
    const strict = openssl([
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      path.join(dir, 'manifest.json.p7s'),
      '-content',
      path.join(dir, 'manifest.json'),
      '-CAfile',
      caFile,
      '-out',
      '/dev/null',
    ]);
    expect(strict.status).toBe(0);
  });

  it('verifies with our own verifier and reports the signer and signing time', () => {
    const check = service.verify(manifest, p7s);
    expect(check.problems).toEqual([]);
    expect(check.ok).toBe(true);
    expect(check.signerCertificateSha256).toBe(service.info.certificateSha256);
    expect(check.chainTrusted).toBe(true);
    expect(check.developmentSeal).toBe(true);
    expect(Math.abs(Date.parse(check.signingTime ?? '') - Date.now())).toBeLessThan(120_000);
  });

  it('fails in openssl and in our verifier when one byte of the manifest changes', () => {
    const tampered = Buffer.from(manifest);
    tampered[10] = tampered[10]! ^ 0x01;
    writeFileSync(path.join(dir, 'tampered.json'), tampered);
    const r = opensslVerify(path.join(dir, 'tampered.json'), path.join(dir, 'manifest.json.p7s'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/digest failure|Verification failure/i);
    const check = service.verify(tampered, p7s);
    expect(check.ok).toBe(false);
    expect(check.problems.join()).toMatch(/messageDigest does not match/);
  });

  it('fails in openssl and in our verifier when one byte of the signature value changes', () => {
    const bad = Buffer.from(p7s);
    const at = bad.length - 10; // inside the signerInfo's signature OCTET STRING (last field)
    bad[at] = bad[at]! ^ 0xff;
    writeFileSync(path.join(dir, 'bad.p7s'), bad);
    expect(opensslVerify(path.join(dir, 'manifest.json'), path.join(dir, 'bad.p7s')).status).not.toBe(0);
    const check = service.verify(manifest, bad);
    expect(check.ok).toBe(false);
    expect(check.problems.join()).toMatch(/signature value does not verify/);
  });

  it('reports garbage as a failed check, not an exception', () => {
    const check = service.verify(manifest, Buffer.from('not a signature'));
    expect(check.ok).toBe(false);
    expect(check.problems.length).toBeGreaterThan(0);
  });

  it('emits the CAdES-B-B signed attributes in DER order, signing-certificate-v2 included', () => {
    const ci = new pkijs.ContentInfo({ schema: asn1js.fromBER(new Uint8Array(p7s)).result });
    const sd = new pkijs.SignedData({ schema: ci.content });
    expect(sd.encapContentInfo.eContent).toBeUndefined(); // detached
    const si = sd.signerInfos[0]!;
    expect(si.digestAlgorithm.algorithmId).toBe(OID.sha256);
    const attrs = si.signedAttrs!.attributes;
    expect(new Set(attrs.map((a) => a.type))).toEqual(
      new Set([OID.contentType, OID.signingTime, OID.messageDigest, OID.signingCertificateV2]),
    );
    // DER SET OF: elements sorted by their encodings, compared as octet strings.
    const set = asn1js.fromBER(new Uint8Array(si.signedAttrs!.encodedValue)).result as asn1js.Set;
    const encodings = set.valueBlock.value.map((b) => Buffer.from(b.valueBeforeDecodeView));
    const sorted = [...encodings].sort(Buffer.compare);
    expect(encodings).toEqual(sorted);
    expect(encodings).toHaveLength(4);
    expect(service.verify(manifest, p7s).profile).toBe('CAdES-B-B');
  });

  it('embeds the signer certificate whose issuer matches the signer identifier (UTF-8 names)', () => {
    const ci = new pkijs.ContentInfo({ schema: asn1js.fromBER(new Uint8Array(p7s)).result });
    const sd = new pkijs.SignedData({ schema: ci.content });
    const sid = sd.signerInfos[0]!.sid as pkijs.IssuerAndSerialNumber;
    const certs = (sd.certificates ?? []) as pkijs.Certificate[];
    expect(certs.some((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber))).toBe(true);
    const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', path.join(dir, 'manifest.json.p7s')]);
    expect(printed.stdout).toContain('issuerAndSerialNumber');
  });

  it('refuses content over 8 MiB (a manifest or an audit segment, never a video)', async () => {
    const big = Buffer.alloc(MAX_SEALED_CONTENT_BYTES + 1);
    const material = loadDevSeal({ devDir: path.join(dir, 'seal') }).material;
    const caught = await signDetached(big, material.signer).catch((err: unknown) => err);
    expect(isSealdockError(caught, 'BAD_INPUT')).toBe(true);
  });
});
