// The seal as the rest of the daemon sees it: one service to seal manifest bytes and verify seals.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { SealdockError, errorMessage } from '../errors.js';
import { devSealFiles, loadOrCreateSeal } from './dev-seal.js';
import { splitPemCertificates } from './keys.js';
import type { SealConfig, SealMaterial } from './keys.js';
import type { SealInfo, Sealer, SealOutput } from './types.js';
import { verifyDetached } from './verify.js';
import type { SealCheckDetails } from './verify.js';

export type { SealConfig, SealMaterial } from './keys.js';
export type { SealCheck, SealInfo, SealOutput, Sealer } from './types.js';
export type { SealCheckDetails, VerifyOptions } from './verify.js';
export type { Manifest, ManifestInput, ManifestReason } from './manifest.js';
export { buildManifest, buildRevision, manifestBytes, parseManifest, MANIFEST_SCHEMA } from './manifest.js';
export { verifyDetached } from './verify.js';
export { verifyTimestampToken } from './tsa.js';
export { initDevSeal, loadOrCreateSeal, DEV_SEAL_WARNING } from './dev-seal.js';
export { DEFAULT_PASSPHRASE_ENV } from './keys.js';

export interface SealService {
  sealer: Sealer;
  info: SealInfo;
  /** Set when the development seal is in use; log it loudly. */
  warning: string | undefined;
  seal(manifestBytes: Buffer): Promise<SealOutput>;
  /**
   * Verifies a seal. Pass the fingerprint the manifest records to catch a swapped signature.
   * The chain is checked against: config.trustedCaFiles, the root of the current seal's chain,
   * and the development CA when one exists in devDir (reported as `developmentSeal`).
   */
  verify(
    content: Buffer,
    p7s: Buffer,
    tsr?: Buffer,
    opts?: { expectedCertificateSha256?: string | undefined },
  ): SealCheckDetails;
}

export function createSealService(config: SealConfig, log: Logger): SealService {
  const { sealer, material, warning } = loadOrCreateSeal(config, log);
  const devCa = devSealFiles(config.devDir).caCertFile;
  const devCaPems = existsSync(devCa) ? splitPemCertificates(readFileSync(devCa, 'utf8')) : [];
  const anchors = [...(config.trustedCaFiles ?? []).flatMap(readPems), ...selfSigned(material), ...devCaPems];
  const tsaAnchors = (config.tsaTrustedCaFiles ?? []).flatMap(readPems);
  return {
    sealer,
    info: sealer.info,
    warning,
    seal: (bytes) => sealer.seal(bytes),
    verify: (content, p7s, tsr, opts = {}) =>
      verifyDetached(content, p7s, {
        trustedCaPems: anchors,
        developmentCaPems: devCaPems,
        tsaTrustedCaPems: tsaAnchors,
        ...(tsr ? { timestampToken: tsr } : {}),
        ...(opts.expectedCertificateSha256 ? { expectedCertificateSha256: opts.expectedCertificateSha256 } : {}),
      }),
  };
}

function readPems(file: string): string[] {
  try {
    const pems = splitPemCertificates(readFileSync(file, 'utf8'));
    if (pems.length === 0) throw new Error('no PEM certificate in it');
    return pems;
  } catch (err) {
    throw new SealdockError('SEAL_INVALID', `trusted CA file ${file} is unusable: ${errorMessage(err)}`, { file });
  }
}

// The configured chain's root, if it carries one, is the natural trust anchor for our own seals.
function selfSigned(material: SealMaterial): string[] {
  return material.chainPems.filter((p) => {
    const c = new X509Certificate(p);
    return c.ca && c.checkIssued(c);
  });
}
