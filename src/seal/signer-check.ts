// Cryptographic checks of one CMS signer and of a certificate path, with node:crypto on the parsed
// structure (node-forge cannot verify). Shared by seal verification and RFC 3161 token verification.
import { constants, createHash, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OID, parseDer } from './cms-parse.js';
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
  /** A signing-certificate-v2 attribute is present and names exactly the signer certificate. */
  signingCertificateV2: boolean;
}

/**
 * Checks an ESS signing-certificate(-v2) attribute value against the signer certificate: the first
 * ESSCertID(v2) must carry its hash and, when issuerSerial is given, its issuer and serial number.
 * Returns the problem, or undefined when it matches.
 */
export function essCertIdProblem(value: asn1js.AsnType, certDer: Buffer, v2: boolean): string | undefined {
  const name = v2 ? 'signing-certificate-v2' : 'signing-certificate';
  const certs = value instanceof asn1js.Sequence ? value.valueBlock.value[0] : undefined;
  const first = certs instanceof asn1js.Sequence ? certs.valueBlock.value[0] : undefined;
  if (!(first instanceof asn1js.Sequence)) return `${name} attribute is malformed`;
  const fields = [...first.valueBlock.value];
  let hash = 'sha1';
  if (v2) {
    hash = 'sha256'; // DEFAULT id-sha256 (RFC 5035)
    if (fields[0] instanceof asn1js.Sequence) {
      const alg = new pkijs.AlgorithmIdentifier({ schema: fields.shift() });
      const named = hashName(alg.algorithmId);
      if (named === undefined) return `${name} uses an unsupported hash ${alg.algorithmId}`;
      hash = named;
    }
  }
  const certHash = fields[0];
  if (!(certHash instanceof asn1js.OctetString)) return `${name} attribute has no certificate hash`;
  if (!Buffer.from(certHash.valueBlock.valueHexView).equals(createHash(hash).update(certDer).digest())) {
    return `${name} names another certificate than the signer's`;
  }
  const issuerSerial = fields[1];
  if (issuerSerial !== undefined) {
    const cert = new pkijs.Certificate({ schema: parseDer(certDer, 'signer certificate') });
    const parts = issuerSerial instanceof asn1js.Sequence ? issuerSerial.valueBlock.value : [];
    const generalNames = parts[0] instanceof asn1js.Sequence ? parts[0].valueBlock.value : [];
    const directoryName = generalNames.find((g) => g.idBlock.tagClass === 3 && g.idBlock.tagNumber === 4);
    const nameBlock = directoryName instanceof asn1js.Constructed ? directoryName.valueBlock.value[0] : undefined;
    const serial = parts[1];
    const issuerOk =
      nameBlock !== undefined && new pkijs.RelativeDistinguishedNames({ schema: nameBlock }).isEqual(cert.issuer);
    const serialOk = serial instanceof asn1js.Integer && serial.isEqual(cert.serialNumber);
    if (!issuerOk || !serialOk) return `${name} issuerSerial does not match the signer certificate`;
  }
  return undefined;
}

/** RSASSA-PSS parameters as node:crypto options; undefined when they are not ones we accept. */
function pssOptions(params: asn1js.AsnType | undefined): { hash: string; saltLength: number } | undefined {
  try {
    const p = new pkijs.RSASSAPSSParams(params instanceof asn1js.Sequence ? { schema: params } : {});
    const hash =
      hashName(p.hashAlgorithm.algorithmId) ?? (p.hashAlgorithm.algorithmId === '1.3.14.3.2.26' ? 'sha1' : undefined);
    const mgfHash = p.maskGenAlgorithm.algorithmParams
      ? new pkijs.AlgorithmIdentifier({ schema: p.maskGenAlgorithm.algorithmParams }).algorithmId
      : '1.3.14.3.2.26';
    if (hash === undefined || hash === 'sha1' || p.maskGenAlgorithm.algorithmId !== OID.mgf1) return undefined;
    if (hashName(mgfHash) !== hash) return undefined;
    return { hash, saltLength: p.saltLength };
  } catch {
    return undefined;
  }
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
    return { certificate, signingTime: undefined, signingCertificateV2: false };
  }

  let signingTime: Date | undefined;
  let signingCertificateV2 = false;
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
    // The signer certificate is bound into the signed attributes: swapping in another certificate
    // with the same key (or a forged one with the same issuer/serial) is detected.
    for (const [oid, v2] of [
      [OID.signingCertificateV2, true],
      [OID.signingCertificate, false],
    ] as const) {
      const value = one(oid);
      if (value === undefined) continue;
      const problem = si.certificateDer ? essCertIdProblem(value, si.certificateDer, v2) : undefined;
      if (problem) problems.push(problem);
      else if (v2 && si.certificateDer) signingCertificateV2 = true;
    }
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
      } else if (si.signatureAlgorithm === OID.rsassaPss && pssOptions(si.signatureAlgorithmParams)) {
        const pss = pssOptions(si.signatureAlgorithmParams)!;
        ok = cryptoVerify(
          pss.hash,
          signedData,
          { key: certificate.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength },
          si.signature,
        );
      } else {
        problems.push(`unsupported signature algorithm ${si.signatureAlgorithm}`);
        return { certificate, signingTime, signingCertificateV2 };
      }
    } catch {
      ok = false;
    }
    if (!ok) problems.push('signature value does not verify with the signer certificate');
    if (signingTime && !validAt(certificate, signingTime)) {
      problems.push(`signer certificate was not valid at signing time ${signingTime.toISOString()}`);
    }
  }
  return { certificate, signingTime, signingCertificateV2 };
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
