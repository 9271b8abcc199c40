// Reads a CMS SignedData (ours or a TSA's) into the raw pieces a verifier needs. Only parsing: every
// byte string handed out is the ORIGINAL encoding (certificates, signed attributes, eContent), never a
// re-encoding, because signatures and fingerprints are over the original bytes.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SealdockError } from '../errors.js';

export const OID = {
  signedData: '1.2.840.113549.1.7.2',
  data: '1.2.840.113549.1.7.1',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  /** ESS signing-certificate (v1, SHA-1; what older TSAs put in their tokens). */
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  /** ESS signing-certificate-v2 (RFC 5035): required by CAdES-B-B. */
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  /** id-aa-signatureTimeStampToken: the CAdES-T unsigned attribute. */
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
} as const;

export interface ParsedAttribute {
  type: string;
  values: asn1js.AsnType[];
  /** Original DER of the whole Attribute (for the DER-order check). */
  der: Buffer;
}

export interface ParsedSignerInfo {
  digestAlgorithm: string;
  signatureAlgorithm: string;
  /** Parameters of the signature algorithm (RSASSA-PSS-params), when present. */
  signatureAlgorithmParams: asn1js.AsnType | undefined;
  signature: Buffer;
  /** Original signed attributes re-tagged as SET (0x31): the bytes the signature covers. */
  signedAttrsDer: Buffer | undefined;
  signedAttrs: ParsedAttribute[];
  /** Unsigned attributes; `der` of each value is its original encoding (a time-stamp token). */
  unsignedAttrs: { type: string; valuesDer: Buffer[] }[];
  /** DER of the signer's certificate from the certificates field, when present. */
  certificateDer: Buffer | undefined;
}

export interface ParsedSignedData {
  eContentType: string;
  /** Encapsulated content (e.g. a TSTInfo); undefined for a detached signature. */
  eContent: Buffer | undefined;
  certificates: Buffer[];
  signerInfos: ParsedSignerInfo[];
}

function fail(message: string, cause?: unknown): never {
  throw new SealdockError('VERIFY_FAILED', message, undefined, cause === undefined ? undefined : { cause });
}

/** Parses DER that must be exactly one ASN.1 element (no trailing bytes). */
export function parseDer(der: Uint8Array, what: string): asn1js.AsnType {
  const copy = new Uint8Array(der); // asn1js keeps views into this buffer
  const parsed = asn1js.fromBER(copy);
  if (parsed.offset === -1 || parsed.offset !== copy.byteLength) fail(`${what} is not a single DER element`);
  return parsed.result;
}

/** The ContentInfo's SignedData as pkijs objects plus the raw SignedData SEQUENCE. */
export function parseSignedData(der: Uint8Array, what = 'signature'): ParsedSignedData {
  let signedData: pkijs.SignedData;
  let raw: asn1js.Sequence;
  try {
    const contentInfo = new pkijs.ContentInfo({ schema: parseDer(der, what) });
    if (contentInfo.contentType !== OID.signedData) fail(`${what} is not a CMS SignedData`);
    raw = contentInfo.content as asn1js.Sequence;
    signedData = new pkijs.SignedData({ schema: raw });
  } catch (err) {
    if (err instanceof SealdockError) throw err;
    fail(`${what} is not a valid CMS SignedData`, err);
  }

  // certificates [0] IMPLICIT SET OF: keep each element's original bytes.
  const certField = raw.valueBlock.value.find((b) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 0);
  const certBlocks = certField instanceof asn1js.Constructed ? certField.valueBlock.value : [];
  const certificates = certBlocks
    .filter((b) => b.idBlock.tagClass === 1 && b.idBlock.tagNumber === 16) // plain X.509, skip other formats
    .map((b) => Buffer.from(b.valueBeforeDecodeView));
  const pkijsCerts = certificates.map((c) => new pkijs.Certificate({ schema: parseDer(c, 'certificate') }));

  const signerInfos = signedData.signerInfos.map((si): ParsedSignerInfo => {
    let certificateDer: Buffer | undefined;
    if (si.sid instanceof pkijs.IssuerAndSerialNumber) {
      const sid = si.sid;
      const i = pkijsCerts.findIndex((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber));
      certificateDer = i >= 0 ? certificates[i] : undefined;
    } else if (si.sid instanceof asn1js.Primitive || si.sid instanceof asn1js.Constructed) {
      // [0] SubjectKeyIdentifier
      const skid = Buffer.from((si.sid as asn1js.Primitive).valueBlock.valueHexView);
      const i = pkijsCerts.findIndex((c) => {
        const ext = c.extensions?.find((e) => e.extnID === '2.5.29.14');
        const value = ext?.parsedValue as asn1js.OctetString | undefined;
        return value !== undefined && Buffer.from(value.valueBlock.valueHexView).equals(skid);
      });
      certificateDer = i >= 0 ? certificates[i] : undefined;
    }
    const attrs = si.signedAttrs;
    const attrBlocks =
      attrs && attrs.encodedValue.byteLength > 0
        ? (parseDer(new Uint8Array(attrs.encodedValue), 'signed attributes') as asn1js.Set).valueBlock.value
        : [];
    return {
      digestAlgorithm: si.digestAlgorithm.algorithmId,
      signatureAlgorithm: si.signatureAlgorithm.algorithmId,
      signatureAlgorithmParams: si.signatureAlgorithm.algorithmParams as asn1js.AsnType | undefined,
      signature: Buffer.from(si.signature.valueBlock.valueHexView),
      signedAttrsDer: attrs && attrs.encodedValue.byteLength > 0 ? Buffer.from(attrs.encodedValue) : undefined,
      signedAttrs: (attrs?.attributes ?? []).map((a, i) => ({
        type: a.type,
        values: a.values as asn1js.AsnType[],
        der: Buffer.from(attrBlocks[i]?.valueBeforeDecodeView ?? new Uint8Array()),
      })),
      unsignedAttrs: (si.unsignedAttrs?.attributes ?? []).map((a) => ({
        type: a.type,
        valuesDer: (a.values as asn1js.AsnType[]).map((v) => Buffer.from(v.valueBeforeDecodeView)),
      })),
      certificateDer,
    };
  });

  const eContent = signedData.encapContentInfo.eContent;
  return {
    eContentType: signedData.encapContentInfo.eContentType,
    eContent: eContent ? Buffer.from(eContent.getValue()) : undefined,
    certificates,
    signerInfos,
  };
}

/** The signature value of the (single) signer: what an RFC 3161 token is requested over. */
export function signatureValueOf(cmsDer: Uint8Array): Buffer {
  const parsed = parseSignedData(cmsDer);
  const si = parsed.signerInfos[0];
  if (si === undefined || parsed.signerInfos.length !== 1) fail('signature must have exactly one signer');
  return si.signature;
}
