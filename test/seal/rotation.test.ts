// Key rotation: what seal A sealed still verifies after the daemon moves to seal B, because
// verification uses the certificate embedded in the signature and the manifest records its fingerprint.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildManifest, createSealService, manifestBytes, parseManifest } from '../../src/seal/index.js';
import type { ManifestInput } from '../../src/seal/index.js';
import { issueCert, makeCa, SEAL_EXTENSIONS, silentLog, tempDir } from './helpers.js';

function intake(certificateSha256: string, development: boolean): ManifestInput {
  return {
    evidenceId: 'ev-rotation',
    revision: 1,
    previousRevisionSha256: null,
    createdAt: '2026-11-20T00:16:00.000Z',
    reason: 'intake',
    elements: { caseNumber: 'A-2026-0042' },
    elementSources: { caseNumber: 'sidecar' },
    original: {
      fileName: 'REC0001.MP4',
      size: 1234,
      sha256: 'a'.repeat(64),
      deviceId: null,
      dockId: 'dock-1',
      receivedAt: '2026-11-20T00:15:00.000Z',
      archiveKey: 'evidence/ev-rotation/original/REC0001.MP4',
    },
    media: null,
    derivative: null,
    seal: { certificateSha256, development },
    generator: { version: '0.1.0', nodeId: 'test' },
  };
}

describe('seal rotation', () => {
  it('verifies a manifest sealed with seal A after the service is reconfigured with seal B', async () => {
    const dir = tempDir();
    const devDir = path.join(dir, 'dev');
    const a = createSealService({ devDir }, silentLog);
    expect(a.info.development).toBe(true);
    const bytesA = manifestBytes(buildManifest(intake(a.info.certificateSha256, true)));
    const sealedA = await a.seal(bytesA);

    const ca = makeCa(dir, 'prod');
    const seal = issueCert(ca, 'seal-b', SEAL_EXTENSIONS);
    const b = createSealService({ devDir, keyFile: seal.key, certFile: seal.cert, chainFile: ca.caCert }, silentLog);
    expect(b.info.development).toBe(false);
    expect(b.info.certificateSha256).not.toBe(a.info.certificateSha256);

    const recorded = parseManifest(bytesA).seal.certificateSha256;
    const old = b.verify(bytesA, sealedA.signature, undefined, { expectedCertificateSha256: recorded });
    expect(old.problems).toEqual([]);
    expect(old.ok).toBe(true);
    expect(old.signerCertificateSha256).toBe(a.info.certificateSha256);
    expect(old.developmentSeal).toBe(true);

    const bytesB = manifestBytes(buildManifest(intake(b.info.certificateSha256, false)));
    const sealedB = await b.seal(bytesB);
    const fresh = b.verify(bytesB, sealedB.signature, undefined, {
      expectedCertificateSha256: b.info.certificateSha256,
    });
    expect(fresh.ok).toBe(true);
    expect(fresh.developmentSeal).toBe(false);

    // A signature swapped for another valid one is caught by the recorded fingerprint.
    const swapped = b.verify(bytesA, sealedA.signature, undefined, {
      expectedCertificateSha256: b.info.certificateSha256,
    });
    expect(swapped.ok).toBe(false);
    expect(swapped.problems.join()).toMatch(/not the one the manifest names/);
  });

  it('does not trust a seal whose CA is not a configured anchor', async () => {
    const dir = tempDir();
    const a = createSealService({ devDir: path.join(dir, 'dev-a') }, silentLog);
    const content = Buffer.from('{}');
    const sealed = await a.seal(content);
    const stranger = createSealService({ devDir: path.join(dir, 'dev-b') }, silentLog);
    const check = stranger.verify(content, sealed.signature);
    expect(check.ok).toBe(false);
    expect(check.chainTrusted).toBe(false);
    expect(check.problems.join()).toMatch(/does not chain to a trusted CA/);
    // …until its CA is added as a trust anchor (e.g. the CA of a retired seal).
    const trusting = createSealService(
      { devDir: path.join(dir, 'dev-b'), trustedCaFiles: [path.join(dir, 'dev-a', 'ca.pem')] },
      silentLog,
    );
    expect(trusting.verify(content, sealed.signature).ok).toBe(true);
  });
});
