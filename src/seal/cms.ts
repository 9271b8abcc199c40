// The one place that signs with node-forge: a detached CMS SignedData (DER) over small content.
// To move to a CAdES-capable signer (signing-certificate-v2, RSA-PSS, ECDSA, SM2), replace this file.
import forge from 'node-forge';
import { SealdockError } from '../errors.js';
import { parseSignedData } from './cms-parse.js';

/** Manifests are a few KiB; forge holds content in a JS string, so a video must never get here. */
export const MAX_SEALED_CONTENT_BYTES = 4 * 1024 * 1024;

export interface CmsSignerMaterial {
  /** Unencrypted RSA private key, PEM (PKCS#1 or PKCS#8). */
  keyPem: string;
  /** Signer certificate, PEM. */
  certificatePem: string;
  /** Further certificates to embed (intermediates, optionally the root), PEM each. */
  chainPems: string[];
}

export function signDetached(content: Buffer, signer: CmsSignerMaterial, signingTime: Date = new Date()): Buffer {
  if (content.length > MAX_SEALED_CONTENT_BYTES) {
    throw new SealdockError(
      'BAD_INPUT',
      `refusing to seal ${content.length} bytes: the seal signs manifests (at most ${MAX_SEALED_CONTENT_BYTES} bytes), never media`,
    );
  }
  let key: forge.pki.rsa.PrivateKey;
  let cert: forge.pki.Certificate;
  try {
    key = forge.pki.privateKeyFromPem(signer.keyPem) as forge.pki.rsa.PrivateKey;
    cert = forge.pki.certificateFromPem(signer.certificatePem);
  } catch (err) {
    throw new SealdockError(
      'SEAL_INVALID',
      'seal key or certificate cannot be read by the CMS signer (RSA only)',
      undefined,
      {
        cause: err,
      },
    );
  }

  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(content.toString('binary'));
  p7.addCertificate(cert);
  for (const pem of signer.chainPems) p7.addCertificate(forge.pki.certificateFromPem(pem));
  p7.addSigner({
    key,
    certificate: cert,
    digestAlgorithm: forge.pki.oids.sha256!,
    // forge emits the attributes in the order given and does not sort the DER SET OF (forge #1013).
    // By encoded length this order IS the DER order; test/seal checks it on real output.
    authenticatedAttributes: [
      { type: forge.pki.oids.contentType!, value: forge.pki.oids.data },
      // forge's typings say string; it accepts a Date and encodes UTCTime/GeneralizedTime per RFC 5652.
      { type: forge.pki.oids.signingTime!, value: signingTime as unknown as string },
      { type: forge.pki.oids.messageDigest! },
    ],
  });
  p7.sign({ detached: true });
  const asn1 = p7.toAsn1();
  useOriginalIssuer(asn1, cert);
  const der = Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
  // Cheap guard against forge encoding regressions: the signer must be findable by its identifier.
  if (parseSignedData(der).signerInfos[0]?.certificateDer === undefined) {
    throw new SealdockError('INTERNAL', 'CMS signer identifier does not match the seal certificate');
  }
  return der;
}

// forge rebuilds the signerInfo's issuer Name from parsed attributes and UTF-8-encodes UTF8String
// values a second time (and flattens multi-valued RDNs), so a Chinese issuer no longer matches the
// certificate and OpenSSL reports "signer certificate not found". The sid is not covered by the
// signature, so put the certificate's original issuer Name back after signing.
function useOriginalIssuer(contentInfo: forge.asn1.Asn1, cert: forge.pki.Certificate): void {
  const tbs = (cert as unknown as { tbsCertificate?: forge.asn1.Asn1 }).tbsCertificate;
  const tbsFields = tbs?.value as forge.asn1.Asn1[] | undefined;
  if (!tbsFields) throw new SealdockError('INTERNAL', 'seal certificate has no original encoding');
  const hasVersion = tbsFields[0]?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC;
  const issuer = tbsFields[hasVersion ? 3 : 2];
  const signedData = ((contentInfo.value as forge.asn1.Asn1[])[1]?.value as forge.asn1.Asn1[] | undefined)?.[0];
  const signerInfos = (signedData?.value as forge.asn1.Asn1[] | undefined)?.at(-1);
  const signerInfo = (signerInfos?.value as forge.asn1.Asn1[] | undefined)?.[0];
  const issuerAndSerial = (signerInfo?.value as forge.asn1.Asn1[] | undefined)?.[1];
  const fields = issuerAndSerial?.value as forge.asn1.Asn1[] | undefined;
  if (!issuer || !fields || fields.length !== 2) {
    throw new SealdockError('INTERNAL', 'unexpected CMS structure from node-forge');
  }
  fields[0] = issuer;
}
