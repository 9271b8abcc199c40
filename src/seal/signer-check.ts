// Cryptographic checks of one CMS signer and of a certificate path, with node:crypto on the parsed
// structure (node-forge cannot verify). Shared by seal verification and RFC 3161 token verification.
import { constants, createHash, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import type * as asn1js from 'asn1js';
import { OID } from './cms-parse.js';
import type { ParsedSignerInfo } from './cms-parse.js';

const HASHES: Record<string, string> = { [OID.sha256]: 'sha256', [OID.sha384]: 'sha384', [OID.sha512]: 'sha512' };
const RSA_SIGS = new Set<string>([OID.rsaEncryption, OID.sha256WithRSA, OID.sha384WithRSA, OID.sha512WithRSA]);
const ECDSA_SIGS = new Set<string>([OID.ecdsaWithSHA256, OID.ecdsaWithSHA384, OID.ecdsaWithSHA512]);

export function hashName(oid: string): string | undefined {
  return HASHES[oid];
}

export interface SignerResult {
  certificate: X509Certificate | undefined;
  signingTime: Date | undefined;
}

/** Checks one signer over `content`; pushes every problem found, never throws on bad input. */
export function checkSigner(
  si: ParsedSignerInfo,
  content: Buffer,
  expectedContentType: string,
  problems: string[],
  opts: { requireDerOrder?: boolean } = {},
): SignerResult {
  let certificate: X509Certificate | undefined;
  try {
    if (si.certificateDer) certificate = new X509Certificate(si.certificateDer);
    else problems.push('signer certificate is not included in the signature');
  } catch {
    problems.push('signer certificate cannot be parsed');
  }
  const hash = hashName(si.digestAlgorithm);
  if (hash === undefined) {
    problems.push(`unsupported digest algorithm ${si.digestAlgorithm}`);
    return { certificate, signingTime: undefined };
  }

  let signingTime: Date | undefined;
  let signedData = content;
  if (si.signedAttrsDer) {
    const one = (oid: string): asn1js.AsnType | undefined => {
      const found = si.signedAttrs.filter((a) => a.type === oid);
      if (found.length > 1 || (found[0] && found[0].values.length !== 1)) problems.push(`attribute ${oid} is repeated`);
      return found[0]?.values[0];
    };
    const ct = one(OID.contentType) as asn1js.ObjectIdentifier | undefined;
    if (ct?.valueBlock.toString() !== expectedContentType) problems.push('contentType attribute is missing or wrong');
    const md = one(OID.messageDigest) as asn1js.OctetString | undefined;
    const actual = createHash(hash).update(content).digest();
    if (!md) problems.push('messageDigest attribute is missing');
    else if (!Buffer.from(md.valueBlock.valueHexView).equals(actual)) {
      problems.push('messageDigest does not match the content: the content was changed');
    }
    const st = one(OID.signingTime) as asn1js.UTCTime | asn1js.GeneralizedTime | undefined;
    if (st && typeof st.toDate === 'function') signingTime = st.toDate();
    if (opts.requireDerOrder && !isDerSorted(si.signedAttrs.map((a) => a.der))) {
      problems.push('signed attributes are not in DER (sorted SET OF) order');
    }
    signedData = si.signedAttrsDer;
  } else if (expectedContentType !== OID.data) {
    problems.push('signed attributes are required for this content type');
  }

  if (certificate) {
    let ok = false;
    try {
      if (RSA_SIGS.has(si.signatureAlgorithm)) {
        ok = cryptoVerify(
          hash,
          signedData,
          { key: certificate.publicKey, padding: constants.RSA_PKCS1_PADDING },
          si.signature,
        );
      } else if (ECDSA_SIGS.has(si.signatureAlgorithm)) {
        ok = cryptoVerify(hash, signedData, certificate.publicKey, si.signature);
      } else {
        problems.push(`unsupported signature algorithm ${si.signatureAlgorithm}`);
        return { certificate, signingTime };
      }
    } catch {
      ok = false;
    }
    if (!ok) problems.push('signature value does not verify with the signer certificate');
    if (signingTime && !validAt(certificate, signingTime)) {
      problems.push(`signer certificate was not valid at signing time ${signingTime.toISOString()}`);
    }
  }
  return { certificate, signingTime };
}

export function isDerSorted(encodings: Buffer[]): boolean {
  for (let i = 1; i < encodings.length; i++) {
    if (Buffer.compare(encodings[i - 1]!, encodings[i]!) > 0) return false;
  }
  return true;
}

export function validAt(cert: X509Certificate, at: Date): boolean {
  return at >= new Date(cert.validFrom) && at <= new Date(cert.validTo);
}

function issuedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return child.checkIssued(issuer) && child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/**
 * Path from `leaf` through `intermediates` to one of `anchors`, every certificate valid at `at`.
 * No revocation checking (no CRL/OCSP). Returns the problems (empty = trusted) and the anchor used.
 */
export function checkChain(
  leaf: X509Certificate,
  intermediates: X509Certificate[],
  anchors: X509Certificate[],
  at: Date,
): { problems: string[]; anchor: X509Certificate | undefined } {
  const problems: string[] = [];
  let current = leaf;
  const seen = new Set<string>();
  for (let depth = 0; depth < 8; depth++) {
    if (!validAt(current, at))
      problems.push(`certificate ${oneLine(current.subject)} was not valid at ${at.toISOString()}`);
    const direct = anchors.find((a) => a.raw.equals(current.raw));
    const anchor = direct ?? anchors.find((a) => a.ca && issuedBy(current, a));
    if (anchor) {
      if (!validAt(anchor, at))
        problems.push(`trusted CA ${oneLine(anchor.subject)} was not valid at ${at.toISOString()}`);
      return { problems, anchor };
    }
    seen.add(current.fingerprint256);
    const next = intermediates.find((c) => c.ca && !seen.has(c.fingerprint256) && issuedBy(current, c));
    if (!next) break;
    current = next;
  }
  problems.push(`signer certificate ${oneLine(leaf.subject)} does not chain to a trusted CA`);
  return { problems, anchor: undefined };
}

export function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}
