// Loads a configured seal (PEM key + certificate [+ chain], or PKCS#12) and refuses anything unsafe
// or unusable before the daemon seals a single manifest with it.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { SealdockError, errorMessage } from '../errors.js';
import { prepareSigner } from './cms.js';
import type { CmsSignerMaterial, PreparedSigner } from './cms.js';
import { sha256Hex } from './digest.js';
import { readPkcs12 } from './pkcs12.js';
import type { SealInfo } from './types.js';

export const DEFAULT_PASSPHRASE_ENV = 'SEALDOCK_SEAL_PASSPHRASE';

// Matches the `seal` section of the daemon config (null = not set) plus devDir, which the caller
// derives from dataDir.
export interface SealConfig {
  keyFile?: string | null | undefined;
  certFile?: string | null | undefined;
  chainFile?: string | null | undefined;
  pkcs12File?: string | null | undefined;
  /** Name of the environment variable holding the PKCS#12 / encrypted-key passphrase. */
  passphraseEnv?: string | null | undefined;
  /** RFC 3161 time-stamping authority; when set every seal carries a token. */
  tsaUrl?: string | null | undefined;
  tsaTimeoutMs?: number | null | undefined;
  /** Where the development seal lives (under dataDir). */
  devDir: string;
  /** Organisation (O) of the development seal certificate. */
  organisation?: string | null | undefined;
  /** Extra trust anchors (PEM files) for verification, e.g. the CA of a retired seal. */
  trustedCaFiles?: string[] | null | undefined;
  /** Trust anchors for TSA tokens (PEM files). */
  tsaTrustedCaFiles?: string[] | null | undefined;
}

export interface SealMaterial extends CmsSignerMaterial {
  certificateDer: Buffer;
  /** Parsed once at load: every seal reuses it. */
  signer: PreparedSigner;
  info: SealInfo;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function splitPemCertificates(text: string): string[] {
  return (text.match(PEM_CERT) ?? []).map((p) => `${p}\n`);
}

/** A private key readable by group or others is a leaked seal: refuse it. */
export function assertPrivateFile(file: string): void {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (err) {
    throw new SealdockError('SEAL_INVALID', `seal key file ${file} cannot be read: ${errorMessage(err)}`, { file });
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new SealdockError(
      'SEAL_INVALID',
      `seal key file ${file} is readable by group or others (mode ${(mode & 0o777).toString(8)}): run chmod 600 ${file}`,
      { file, mode: (mode & 0o777).toString(8) },
    );
  }
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  now?: Date;
  development?: boolean;
}

/** Loads the configured seal; undefined when none is configured (the caller then uses the dev seal). */
export function loadConfiguredSeal(config: SealConfig, opts: LoadOptions = {}): SealMaterial | undefined {
  const env = opts.env ?? process.env;
  const passphraseEnv = config.passphraseEnv ?? DEFAULT_PASSPHRASE_ENV;
  const passphrase = env[passphraseEnv];
  const pem = config.keyFile != null || config.certFile != null;

  if (config.pkcs12File != null) {
    if (pem)
      throw new SealdockError('SEAL_INVALID', 'configure the seal as pkcs12File OR keyFile + certFile, not both');
    assertPrivateFile(config.pkcs12File);
    if (passphrase === undefined) {
      throw new SealdockError(
        'SEAL_INVALID',
        `PKCS#12 seal ${config.pkcs12File} needs its passphrase in the environment variable ${passphraseEnv}`,
      );
    }
    const p12 = readPkcs12(readFileSync(config.pkcs12File), passphrase, config.pkcs12File);
    return checkMaterial(createPrivateKey(p12.keyPem), p12.certificatePem, p12.chainPems, opts);
  }
  if (!pem) return undefined;
  if (config.keyFile == null || config.certFile == null) {
    throw new SealdockError('SEAL_INVALID', 'a PEM seal needs both keyFile and certFile');
  }
  assertPrivateFile(config.keyFile);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: readFileSync(config.keyFile), format: 'pem', passphrase });
  } catch (err) {
    throw new SealdockError(
      'SEAL_INVALID',
      `seal key ${config.keyFile} cannot be read (encrypted keys take their passphrase from ${passphraseEnv}): ${errorMessage(err)}`,
      { file: config.keyFile },
    );
  }
  const certs = splitPemCertificates(readText(config.certFile));
  const first = certs[0];
  if (first === undefined) throw new SealdockError('SEAL_INVALID', `no certificate in ${config.certFile}`);
  // A cert file that already carries the chain after the leaf is common; accept it.
  const chain = [...certs.slice(1), ...(config.chainFile ? splitPemCertificates(readText(config.chainFile)) : [])];
  return checkMaterial(key, first, chain, opts);
}

/**
 * Refuses a key type we cannot sign with (RSA, RSA-PSS, EC P-256/P-384 are accepted), a key that is
 * not the certificate's, and a certificate outside its validity.
 */
export function checkMaterial(
  key: KeyObject,
  certificatePem: string,
  chainPems: string[],
  opts: LoadOptions = {},
): SealMaterial {
  const now = opts.now ?? new Date();
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certificatePem);
  } catch (err) {
    throw new SealdockError('SEAL_INVALID', `seal certificate cannot be parsed: ${errorMessage(err)}`);
  }
  const subject = oneLine(cert.subject);
  if (!cert.checkPrivateKey(key)) {
    throw new SealdockError('SEAL_INVALID', `seal key does not match certificate ${subject}`);
  }
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (now < notBefore || now > notAfter) {
    throw new SealdockError(
      'SEAL_INVALID',
      `seal certificate ${subject} is not valid now (valid ${notBefore.toISOString()} to ${notAfter.toISOString()})`,
    );
  }
  for (const pem of chainPems) new X509Certificate(pem); // fail early on a broken chain file
  return {
    key,
    certificatePem,
    chainPems,
    signer: prepareSigner({ key, certificatePem, chainPems }),
    certificateDer: cert.raw,
    info: {
      certificateSha256: sha256Hex(cert.raw),
      subject,
      notAfter: notAfter.toISOString(),
      development: opts.development ?? false,
    },
  };
}

function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new SealdockError('SEAL_INVALID', `cannot read ${file}: ${errorMessage(err)}`, { file });
  }
}
