// Verification without the private key: what `sealdock verify`, `reindex` and the API need.
// Trust anchors: configured trustedCaFiles, the root of a configured chain, and the development
// CA when one exists (its seals are reported as development seals).
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { SealdockError, errorMessage } from '../errors.js';
import { devSealFiles } from './dev-seal.js';
import { splitPemCertificates, type SealConfig } from './keys.js';
import { verifyDetached, type SealCheckDetails } from './verify.js';

export interface SealVerifier {
  verify(
    content: Buffer,
    p7s: Buffer,
    tsr: Buffer | undefined,
    expectedCertificateSha256: string | undefined,
  ): SealCheckDetails;
}

function readPems(file: string): string[] {
  try {
    return splitPemCertificates(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SealdockError('SEAL_INVALID', `trust anchor file ${file} is unreadable: ${errorMessage(err)}`, { file });
  }
}

export function createSealVerifier(config: SealConfig): SealVerifier {
  const dev = devSealFiles(config.devDir).caCertFile;
  const devPems = existsSync(dev) ? readPems(dev) : [];
  const chainRoots = (config.chainFile ? readPems(config.chainFile) : []).filter((p) => {
    const c = new X509Certificate(p);
    return c.ca && c.checkIssued(c);
  });
  const anchors = [...(config.trustedCaFiles ?? []).flatMap(readPems), ...chainRoots, ...devPems];
  const tsaAnchors = (config.tsaTrustedCaFiles ?? []).flatMap(readPems);
  const noAnchor =
    'no trust anchor configured: a seal can only be trusted against seal.trustedCaFiles (or the root in seal.chainFile)';
  return {
    verify: (content, p7s, tsr, expected) => {
      // Without an anchor any self-made certificate would do: refuse rather than trust the signer's word.
      if (anchors.length === 0) {
        const check = verifyDetached(content, p7s, {
          ...(tsr ? { timestampToken: tsr } : {}),
          ...(expected ? { expectedCertificateSha256: expected } : {}),
        });
        return { ...check, ok: false, chainTrusted: false, problems: [...check.problems, noAnchor] };
      }
      return verifyDetached(content, p7s, {
        trustedCaPems: anchors,
        developmentCaPems: devPems,
        tsaTrustedCaPems: tsaAnchors,
        ...(tsr ? { timestampToken: tsr } : {}),
        ...(expected ? { expectedCertificateSha256: expected } : {}),
      });
    },
  };
}
