// The one place that builds our seals: a detached CMS SignedData (DER) in the CAdES-B-B profile
// (ETSI EN 319 122-1), and CAdES-B-T once a signature time-stamp is added. The structure is built
// with pkijs/asn1js, the signature is made by node:crypto on the libuv thread pool, so the event
// loop only spends the (sub-millisecond) ASN.1 encoding.
import { constants, createHash, sign as cryptoSign, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SealdockError, errorMessage } from '../errors.js';
import { OID } from './cms-parse.js';
import { sha256 } from './digest.js';

/** Manifests and audit segments are small; a video must never get here. */
export const MAX_SEALED_CONTENT_BYTES = 8 * 1024 * 1024;

export interface CmsSignerMaterial {
  /** The private key, parsed once. RSA (PKCS#1 v1.5), RSA-PSS, or EC P-256 / P-384. */
  key: KeyObject;
  /** Signer certificate, PEM. */
  certificatePem: string;
  /** Further certificates to embed (intermediates, optionally the root), PEM each. */
  chainPems: string[];
}

/**
 * Everything about the signer that does not change between seals, built once with pkijs/asn1js and
 * kept as DER: a seal then only encodes its two varying attributes and concatenates (re-encoding
 * the certificates on every seal cost allocations and GC pauses on the event loop).
 */
export interface PreparedSigner {
  readonly key: KeyObject;
  readonly hash: 'sha256' | 'sha384';
  readonly signOptions: { key: KeyObject; padding?: number; saltLength?: number };
  readonly der: {
    /** SignerIdentifier: IssuerAndSerialNumber with the certificate's original issuer bytes. */
    sid: Buffer;
    digestAlgorithm: Buffer;
    signatureAlgorithm: Buffer;
    /** certificates [0] IMPLICIT SET OF Certificate: the signer's, then its chain, original DER. */
    certificates: Buffer;
    /** The contentType (id-data) signed attribute. */
    contentTypeAttribute: Buffer;
    /** The signing-certificate-v2 signed attribute (RFC 5035). */
    signingCertificateV2Attribute: Buffer;
  };
}

export interface SignedCms {
  /** The CAdES-B-B SignedData, DER. */
  der: Buffer;
  /** The signerInfo's signature value: what the signature time-stamp is requested over. */
  signatureValue: Buffer;
  /** The same SignedData with the RFC 3161 token as the signature-time-stamp unsigned attribute. */
  withSignatureTimestamp(token: Buffer): Buffer;
}

function bad(message: string, cause?: unknown): never {
  throw new SealdockError('SEAL_INVALID', message, undefined, cause === undefined ? undefined : { cause });
}

/** Parses one element that must be DER (it is embedded byte for byte and must re-encode identically). */
function derBlock(der: Buffer, what: string): asn1js.AsnType {
  // asn1js keeps views into the buffer it parses: give it a private copy.
  const parsed = asn1js.fromBER(new Uint8Array(der).slice());
  if (parsed.offset === -1 || parsed.offset !== der.length) bad(`${what} is not a single DER element`);
  if (!Buffer.from(parsed.result.toBER()).equals(der)) bad(`${what} is not DER-encoded (BER is refused)`);
  return parsed.result;
}

/** DER length octets (X.690 §8.1.3, definite form). */
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One DER element from its tag and already-encoded contents. */
function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const TAG = { integer: 0x02, octetString: 0x04, sequence: 0x30, set: 0x31, context0: 0xa0, context1: 0xa1 } as const;

function algorithm(oid: string, params?: asn1js.AsnType): pkijs.AlgorithmIdentifier {
  return new pkijs.AlgorithmIdentifier(params ? { algorithmId: oid, algorithmParams: params } : { algorithmId: oid });
}

const HASH_OID = { sha256: OID.sha256, sha384: OID.sha384 } as const;

/** Signature algorithm, digest and node:crypto options for a key; refuses what we cannot sign with. */
function algorithmsFor(
  key: KeyObject,
): Pick<PreparedSigner, 'hash' | 'signOptions'> & { signatureAlgorithm: pkijs.AlgorithmIdentifier } {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') {
    return {
      hash: 'sha256',
      signOptions: { key, padding: constants.RSA_PKCS1_PADDING },
      signatureAlgorithm: algorithm(OID.sha256WithRSA, new asn1js.Null()),
    };
  }
  if (type === 'rsa-pss') {
    // A PSS key may restrict its hash and minimum salt; honour them, else SHA-256 with a 32-byte salt.
    const d = key.asymmetricKeyDetails ?? {};
    const hash = d.hashAlgorithm === 'sha384' ? 'sha384' : 'sha256';
    if (d.hashAlgorithm && d.hashAlgorithm !== hash) bad(`RSA-PSS key restricted to ${d.hashAlgorithm}: unsupported`);
    if (d.mgf1HashAlgorithm && d.mgf1HashAlgorithm !== hash)
      bad('RSA-PSS key with a different OID.mgf1 hash: unsupported');
    const saltLength = Math.max(d.saltLength ?? 0, hash === 'sha384' ? 48 : 32);
    const hashAlg = algorithm(HASH_OID[hash]);
    const params = new pkijs.RSASSAPSSParams({
      hashAlgorithm: hashAlg,
      maskGenAlgorithm: algorithm(OID.mgf1, hashAlg.toSchema()),
      saltLength,
    });
    return {
      hash,
      signOptions: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength },
      signatureAlgorithm: algorithm(OID.rsassaPss, params.toSchema()),
    };
  }
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') {
      return { hash: 'sha256', signOptions: { key }, signatureAlgorithm: algorithm(OID.ecdsaWithSHA256) };
    }
    if (curve === 'secp384r1') {
      return { hash: 'sha384', signOptions: { key }, signatureAlgorithm: algorithm(OID.ecdsaWithSHA384) };
    }
    bad(`seal key curve ${curve ?? '?'} is not supported: EC keys must be P-256 or P-384`);
  }
  bad(`seal key type ${type ?? '?'} is not supported: RSA, RSA-PSS or EC P-256/P-384`);
}

/** Parses the signer once: algorithms, signer identifier, embedded certificates, signing-certificate-v2. */
export function prepareSigner(material: CmsSignerMaterial): PreparedSigner {
  let cert: pkijs.Certificate;
  let certDer: Buffer;
  let chainDers: Buffer[];
  try {
    certDer = new X509Certificate(material.certificatePem).raw;
    chainDers = material.chainPems.map((p) => new X509Certificate(p).raw);
    cert = new pkijs.Certificate({ schema: derBlock(certDer, 'seal certificate') });
  } catch (err) {
    if (err instanceof SealdockError) throw err;
    bad(`seal certificate cannot be read: ${errorMessage(err)}`, err);
  }
  const algs = algorithmsFor(material.key);
  // The sid carries the certificate's ORIGINAL issuer encoding (UTF8String names must not be re-encoded,
  // else OpenSSL and Bouncy Castle cannot find the signer).
  const sid = new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber });
  // RFC 5035 ESSCertIDv2: hashAlgorithm omitted (DEFAULT id-sha256), the certificate's SHA-256, and
  // issuerSerial (GeneralNames with the issuer as directoryName [4]) so a verifier can bind it exactly.
  const essCertIdV2 = new asn1js.Sequence({
    value: [
      new asn1js.OctetString({ valueHex: sha256(certDer) }),
      new asn1js.Sequence({
        value: [
          new asn1js.Sequence({
            value: [
              new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 4 }, value: [cert.issuer.toSchema()] }),
            ],
          }),
          cert.serialNumber,
        ],
      }),
    ],
  });
  const signingCertificateV2 = new pkijs.Attribute({
    type: OID.signingCertificateV2,
    values: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] })],
  });
  for (const [i, d] of [certDer, ...chainDers].entries())
    derBlock(d, i === 0 ? 'seal certificate' : 'chain certificate');
  return {
    key: material.key,
    hash: algs.hash,
    signOptions: algs.signOptions,
    der: {
      sid: encode(sid),
      digestAlgorithm: encode(algorithm(HASH_OID[algs.hash])),
      signatureAlgorithm: encode(algs.signatureAlgorithm),
      // SET OF in DER order (sorted encodings); verifiers find the signer by the sid, not by position.
      certificates: tlv(TAG.context0, ...[certDer, ...chainDers].sort(Buffer.compare)),
      contentTypeAttribute: encode(
        new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }),
      ),
      signingCertificateV2Attribute: encode(signingCertificateV2),
    },
  };
}

// RFC 5652 §11.3: UTCTime for 1950–2049, GeneralizedTime otherwise.
function signingTimeValue(at: Date): asn1js.AsnType {
  const year = at.getUTCFullYear();
  const whole = new Date(Math.floor(at.getTime() / 1000) * 1000);
  return year >= 1950 && year < 2050
    ? new asn1js.UTCTime({ valueDate: whole })
    : new asn1js.GeneralizedTime({ valueDate: whole });
}

function encode(block: { toSchema(): asn1js.AsnType } | asn1js.AsnType): Buffer {
  const schema =
    'toSchema' in block && typeof block.toSchema === 'function' ? block.toSchema() : (block as asn1js.AsnType);
  return Buffer.from(schema.toBER());
}

function signAsync(signer: PreparedSigner, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    // The callback form runs the private-key operation on the libuv thread pool, off the event loop.
    cryptoSign(signer.hash, data, signer.signOptions, (err, sig) => (err ? reject(err) : resolve(sig))),
  );
}

/** Signs `content` (detached) as CAdES-B-B. */
export async function signDetached(
  content: Buffer,
  signer: PreparedSigner,
  signingTime: Date = new Date(),
): Promise<SignedCms> {
  if (content.length > MAX_SEALED_CONTENT_BYTES) {
    throw new SealdockError(
      'BAD_INPUT',
      `refusing to seal ${content.length} bytes: the seal signs manifests (at most ${MAX_SEALED_CONTENT_BYTES} bytes), never media`,
    );
  }
  const messageDigest = createHash(signer.hash).update(content).digest();
  const d = signer.der;
  // DER SET OF: elements in ascending order of their encodings (X.690 §11.6); OpenSSL tolerates any
  // order, Bouncy Castle and EU DSS do not.
  const attributes = [
    d.contentTypeAttribute,
    encode(new pkijs.Attribute({ type: OID.signingTime, values: [signingTimeValue(signingTime)] })),
    encode(
      new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: messageDigest })] }),
    ),
    d.signingCertificateV2Attribute,
  ].sort(Buffer.compare);
  // The signature covers the attributes encoded as a SET (tag 0x31); the SignerInfo carries the same
  // bytes as [0] IMPLICIT.
  const signedAttrsSet = tlv(TAG.set, ...attributes);
  const signatureValue = await signAsync(signer, signedAttrsSet);
  const signedAttrsField = Buffer.from(signedAttrsSet);
  signedAttrsField[0] = TAG.context0;

  const version1 = tlv(TAG.integer, Buffer.from([1]));
  const assemble = (unsignedAttribute?: Buffer): Buffer => {
    const signerInfo = tlv(
      TAG.sequence,
      version1,
      d.sid,
      d.digestAlgorithm,
      signedAttrsField,
      d.signatureAlgorithm,
      tlv(TAG.octetString, signatureValue),
      ...(unsignedAttribute ? [tlv(TAG.context1, unsignedAttribute)] : []),
    );
    const signedData = tlv(
      TAG.sequence,
      version1,
      tlv(TAG.set, d.digestAlgorithm),
      tlv(TAG.sequence, ID_DATA), // encapContentInfo without eContent: detached
      d.certificates,
      tlv(TAG.set, signerInfo),
    );
    return tlv(TAG.sequence, ID_SIGNED_DATA, tlv(TAG.context0, signedData));
  };

  return {
    der: assemble(),
    signatureValue,
    withSignatureTimestamp(token: Buffer): Buffer {
      try {
        derBlock(token, 'time-stamp token');
      } catch (err) {
        throw new SealdockError('VERIFY_FAILED', errorMessage(err));
      }
      return assemble(tlv(TAG.sequence, ID_SIGNATURE_TIMESTAMP, tlv(TAG.set, token)));
    },
  };
}

const oidDer = (oid: string) => Buffer.from(new asn1js.ObjectIdentifier({ value: oid }).toBER());
const ID_DATA = oidDer(OID.data);
const ID_SIGNED_DATA = oidDer(OID.signedData);
const ID_SIGNATURE_TIMESTAMP = oidDer(OID.signatureTimeStampToken);
