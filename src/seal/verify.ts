// Verifies a detached seal (CMS .p7s, CAdES-B-B/B-T) over content, with node:crypto. The signer
// certificate is the one embedded in the signature, so seals made before a key rotation still verify;
// trust in that certificate comes from explicit anchors (PEM), never from the signature itself.
import { X509Certificate } from 'node:crypto';
import { errorMessage } from '../errors.js';
import { OID, parseSignedData } from './cms-parse.js';
import { sha256Hex } from './digest.js';
import { checkChain, checkSigner } from './signer-check.js';
import { verifyTimestampToken } from './tsa.js';
import type { SealCheck } from './types.js';

export interface VerifyOptions {
  /** Trust anchors (PEM). Without them the chain is not checked and `chainTrusted` stays undefined. */
  trustedCaPems?: string[];
  /** Anchors that mark a seal as the development seal (its CA). */
  developmentCaPems?: string[];
  /** The fingerprint the manifest records: a different signer certificate is a failure. */
  expectedCertificateSha256?: string;
  timestampToken?: Buffer;
  tsaTrustedCaPems?: string[];
}

export interface SealCheckDetails extends SealCheck {
  chainTrusted?: boolean | undefined;
  /** The signer chains to the development CA. */
  developmentSeal?: boolean | undefined;
  /** genTime of a valid RFC 3161 token. */
  timestampTime?: string | undefined;
  /**
   * CAdES-B-T: signing-certificate-v2 plus an embedded signature time-stamp; CAdES-B-B: the
   * attribute without a time-stamp; CMS: neither (seals made before sealdock signed CAdES).
   */
  profile?: 'CAdES-B-T' | 'CAdES-B-B' | 'CMS' | undefined;
}

/** Never throws: every failure, however odd the input, is a problem in the returned check. */
export function verifyDetached(content: Buffer, p7s: Buffer, opts: VerifyOptions = {}): SealCheckDetails {
  try {
    return check(content, p7s, opts);
  } catch (err) {
    return { ok: false, problems: [`signature cannot be checked: ${errorMessage(err)}`] };
  }
}

function check(content: Buffer, p7s: Buffer, opts: VerifyOptions): SealCheckDetails {
  const problems: string[] = [];
  let parsed: ReturnType<typeof parseSignedData>;
  try {
    parsed = parseSignedData(p7s);
  } catch (err) {
    return { ok: false, problems: [errorMessage(err)] };
  }
  if (parsed.eContent !== undefined) problems.push('signature is not detached: it carries its own content');
  if (parsed.eContentType !== OID.data) problems.push('signed content type is not id-data');
  const si = parsed.signerInfos[0];
  if (!si || parsed.signerInfos.length !== 1) {
    return { ok: false, problems: [...problems, 'signature must have exactly one signer'] };
  }
  const { certificate, signingTime, signingCertificateV2 } = checkSigner(si, content, OID.data, problems, {
    requireDerOrder: true,
  });
  const signerCertificateSha256 = certificate ? sha256Hex(certificate.raw) : undefined;
  if (opts.expectedCertificateSha256 && signerCertificateSha256 !== opts.expectedCertificateSha256) {
    problems.push(
      `signer certificate ${signerCertificateSha256 ?? '?'} is not the one the manifest names (${opts.expectedCertificateSha256})`,
    );
  }

  // CAdES-T: the token inside the CMS (unsigned attribute) and the .tsr file beside it must be the
  // same token; a seal made before tokens were embedded has only the file.
  const embedded = si.unsignedAttrs.filter((a) => a.type === OID.signatureTimeStampToken).flatMap((a) => a.valuesDer);
  if (embedded.length > 1) problems.push('more than one signature time-stamp token');
  const embeddedToken = embedded[0];
  if (embeddedToken && opts.timestampToken && !embeddedToken.equals(opts.timestampToken)) {
    problems.push('the .tsr file is not the time-stamp token embedded in the seal');
  }
  const token = embeddedToken ?? opts.timestampToken;
  let timestampTime: string | undefined;
  if (token) {
    const ts = verifyTimestampToken(token, si.signature, { trustedCaPems: opts.tsaTrustedCaPems ?? [] });
    problems.push(...ts.problems.map((p) => `time-stamp: ${p}`));
    if (ts.ok) timestampTime = ts.genTime;
  }
  const profile = !signingCertificateV2 ? 'CMS' : embeddedToken ? 'CAdES-B-T' : 'CAdES-B-B';

  let chainTrusted: boolean | undefined;
  let developmentSeal: boolean | undefined;
  if (certificate) {
    const others = parsed.certificates.map((d) => new X509Certificate(d));
    // Validity is judged when the seal was made: at the TSA's genTime if any, else the claimed signingTime.
    const at = timestampTime ? new Date(timestampTime) : (signingTime ?? new Date());
    if (opts.developmentCaPems?.length) {
      const dev = opts.developmentCaPems.map((p) => new X509Certificate(p));
      developmentSeal = checkChain(certificate, others, dev, at).anchor !== undefined;
    }
    if (opts.trustedCaPems?.length) {
      const anchors = opts.trustedCaPems.map((p) => new X509Certificate(p));
      const chain = checkChain(certificate, others, anchors, at);
      chainTrusted = chain.problems.length === 0;
      problems.push(...chain.problems);
    }
  }
  return {
    ok: problems.length === 0,
    signerCertificateSha256,
    signingTime: signingTime?.toISOString(),
    problems,
    chainTrusted,
    developmentSeal,
    timestampTime,
    profile,
  };
}
