// Reads a PKCS#12 seal. Node has no PKCS#12 parser, so this reads it with node-forge (reading only:
// signing stays in cms.ts). Handles OpenSSL 3's defaults (PBES2/AES-256-CBC, HMAC-SHA-256 MAC).
import { createPrivateKey, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { SealdockError, errorMessage } from '../errors.js';

export interface Pkcs12Contents {
  keyPem: string;
  certificatePem: string;
  chainPems: string[];
}

export function readPkcs12(der: Buffer, passphrase: string, file: string): Pkcs12Contents {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = open(der, passphrase);
  } catch (err) {
    throw new SealdockError(
      'SEAL_INVALID',
      `PKCS#12 seal ${file} cannot be opened (wrong passphrase?): ${errorMessage(err)}`,
      { file },
    );
  }
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!] ?? []),
  ];
  const keys = keyBags.flatMap((b) => (b.key ? [forge.pki.privateKeyToPem(b.key)] : []));
  const certs = (p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? []).flatMap((b) =>
    b.cert ? [forge.pki.certificateToPem(b.cert)] : [],
  );
  if (keys.length !== 1) {
    throw new SealdockError(
      'SEAL_INVALID',
      `PKCS#12 seal ${file} must hold exactly one RSA private key, found ${keys.length}`,
    );
  }
  const keyPem = keys[0]!;
  const key = createPrivateKey(keyPem);
  const leaf = certs.find((c) => new X509Certificate(c).checkPrivateKey(key));
  if (leaf === undefined)
    throw new SealdockError('SEAL_INVALID', `PKCS#12 seal ${file} holds no certificate for its key`);
  return { keyPem, certificatePem: leaf, chainPems: certs.filter((c) => c !== leaf) };
}

// forge derives the MAC key from the passphrase as BMPString (right, RFC 7292) but feeds the same JS
// string to PBKDF2 as if it were bytes, so a non-ASCII passphrase breaks PBES2 decryption (OpenSSL
// uses its UTF-8 bytes). The MAC is checked before decryption: once it has passed with the string,
// decrypt again with the UTF-8 bytes, the MAC (already verified) removed.
function open(der: Buffer, passphrase: string): forge.pkcs12.Pkcs12Pfx {
  try {
    return forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der.toString('binary')), true, passphrase);
  } catch (err) {
    const ascii = /^[\x00-\x7f]*$/.test(passphrase);
    if (ascii || /MAC/.test(errorMessage(err))) throw err;
    const pfx = forge.asn1.fromDer(der.toString('binary'));
    (pfx.value as forge.asn1.Asn1[]).splice(2); // drop macData
    return forge.pkcs12.pkcs12FromAsn1(pfx, true, forge.util.encodeUtf8(passphrase));
  }
}
