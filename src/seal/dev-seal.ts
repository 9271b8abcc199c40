// `sealdock seal init`: a development CA and a legal-person seal certificate for the agency, so the
// daemon runs out of the box. Never evidence-grade: every manifest sealed with it says development.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';
import type { Logger } from 'pino';
import { SealdockError, errorMessage } from '../errors.js';
import { loadConfiguredSeal } from './keys.js';
import type { SealConfig, SealMaterial } from './keys.js';
import { createSealer } from './sealer.js';
import type { Sealer } from './types.js';

export const DEV_FILES = {
  caCert: 'ca.pem',
  caKey: 'ca.key.pem',
  sealCert: 'seal.pem',
  sealKey: 'seal.key.pem',
  readme: 'DEVELOPMENT-SEAL-README.txt',
} as const;

export const DEFAULT_ORGANISATION = 'sealdock development agency';
const VALIDITY_YEARS = 3;
const KEY_BITS = 3072;

export const DEV_SEAL_WARNING =
  'USING THE GENERATED DEVELOPMENT SEAL: manifests are sealed with a self-made certificate that no ' +
  'court or auditor should trust. Configure seal.keyFile/certFile or seal.pkcs12File for production.';

const README = `THIS IS A DEVELOPMENT SEAL. DO NOT USE IT FOR EVIDENCE.
=======================================================

sealdock generated this certificate authority (ca.pem, ca.key.pem) and this seal
(seal.pem, seal.key.pem) itself because no seal was configured. Nobody vouches for
it: a manifest sealed with it proves only that it was not changed after sealing by
someone without these files. Every manifest it seals records "development": true.

For production, configure seal.keyFile + seal.certFile (+ seal.chainFile) or
seal.pkcs12File with the agency's electronic seal issued by a recognised CA.

Check a sealed manifest:
  openssl cms -verify -binary -inform DER -in 0001.json.p7s -content 0001.json \\
    -CAfile ca.pem -purpose any -out /dev/null
`;

export interface DevSealFiles {
  dir: string;
  caCertFile: string;
  sealCertFile: string;
  sealKeyFile: string;
}

export function devSealFiles(devDir: string): DevSealFiles {
  return {
    dir: devDir,
    caCertFile: path.join(devDir, DEV_FILES.caCert),
    sealCertFile: path.join(devDir, DEV_FILES.sealCert),
    sealKeyFile: path.join(devDir, DEV_FILES.sealKey),
  };
}

/**
 * Creates the development seal in devDir unless one is already there. Returns true when it created
 * one. Generated in a sibling folder and renamed into place, so a crash leaves no half-made seal.
 */
export function initDevSeal(devDir: string, organisation = DEFAULT_ORGANISATION, now = new Date()): boolean {
  const files = devSealFiles(devDir);
  if (existsSync(files.sealCertFile) && existsSync(files.sealKeyFile)) return false;
  if (existsSync(devDir) && readdirSync(devDir).length > 0) {
    throw new SealdockError('SEAL_INVALID', `${devDir} holds an incomplete development seal: move it away and retry`);
  }
  mkdirSync(path.dirname(devDir), { recursive: true });
  const tmp = `${devDir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(tmp, { mode: 0o700 });
  try {
    const made = makeDevSeal(organisation, now);
    writeFileSync(path.join(tmp, DEV_FILES.caCert), made.caCertPem, { mode: 0o644 });
    writeFileSync(path.join(tmp, DEV_FILES.caKey), made.caKeyPem, { mode: 0o600 });
    writeFileSync(path.join(tmp, DEV_FILES.sealCert), made.sealCertPem, { mode: 0o644 });
    writeFileSync(path.join(tmp, DEV_FILES.sealKey), made.sealKeyPem, { mode: 0o600 });
    writeFileSync(path.join(tmp, DEV_FILES.readme), README, { mode: 0o644 });
    if (existsSync(devDir)) rmdirSync(devDir); // empty, checked above
    renameSync(tmp, devDir);
    return true;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    // Another process won the race: its seal is as good as ours.
    if (existsSync(files.sealCertFile) && existsSync(files.sealKeyFile)) return false;
    throw new SealdockError('SEAL_INVALID', `cannot create development seal in ${devDir}: ${errorMessage(err)}`);
  }
}

/** Loads the development seal from devDir (creating it first when absent). */
export function loadDevSeal(config: SealConfig, now = new Date()): { material: SealMaterial; created: boolean } {
  const created = initDevSeal(config.devDir, config.organisation ?? DEFAULT_ORGANISATION, now);
  const files = devSealFiles(config.devDir);
  const material = loadConfiguredSeal(
    { devDir: config.devDir, keyFile: files.sealKeyFile, certFile: files.sealCertFile, chainFile: files.caCertFile },
    { development: true, now },
  );
  if (material === undefined) throw new SealdockError('INTERNAL', 'development seal did not load');
  return { material, created };
}

export interface LoadedSeal {
  sealer: Sealer;
  material: SealMaterial;
  /** Set when the development seal is in use: the caller logs it loudly. */
  warning: string | undefined;
}

/** The configured seal, or the development seal (created on first use) when none is configured. */
export function loadOrCreateSeal(config: SealConfig, log: Logger): LoadedSeal {
  const configured = loadConfiguredSeal(config);
  if (configured) {
    log.info({ seal: configured.info }, 'seal loaded');
    return { sealer: createSealer(configured, config, log), material: configured, warning: undefined };
  }
  const { material, created } = loadDevSeal(config);
  if (created) log.info({ devDir: config.devDir }, 'development seal created');
  return { sealer: createSealer(material, config, log), material, warning: DEV_SEAL_WARNING };
}

interface MadeDevSeal {
  caCertPem: string;
  caKeyPem: string;
  sealCertPem: string;
  sealKeyPem: string;
}

// forge's key generation is pure JS and slow; node:crypto makes the keys, forge only builds certificates.
function rsaKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: KEY_BITS });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

// Names are usually Chinese: UTF8String, not forge's default PrintableString.
function utf8(shortName: string, value: string): forge.pki.CertificateField {
  return { shortName, value, valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class };
}

function serialHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x40; // positive, no leading zero byte
  return b.toString('hex');
}

function makeDevSeal(organisation: string, now: Date): MadeDevSeal {
  const notBefore = new Date(now.getTime() - 5 * 60_000); // tolerate small clock skew
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALIDITY_YEARS);

  const caKeys = rsaKeyPair();
  const caKey = forge.pki.privateKeyFromPem(caKeys.privatePem);
  const ca = forge.pki.createCertificate();
  ca.publicKey = forge.pki.publicKeyFromPem(caKeys.publicPem);
  ca.serialNumber = serialHex();
  ca.validity.notBefore = notBefore;
  ca.validity.notAfter = notAfter;
  const caName = [utf8('O', organisation), utf8('CN', `sealdock development CA — ${organisation}`)];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKey, forge.md.sha256.create());

  const sealKeys = rsaKeyPair();
  const seal = forge.pki.createCertificate();
  seal.publicKey = forge.pki.publicKeyFromPem(sealKeys.publicPem);
  seal.serialNumber = serialHex();
  seal.validity.notBefore = notBefore;
  seal.validity.notAfter = notAfter;
  // A legal-person seal: the organisation is the signer, not a person.
  seal.setSubject([utf8('O', organisation), utf8('CN', `sealdock development seal — ${organisation}`)]);
  seal.setIssuer(ca.subject.attributes);
  seal.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  seal.sign(caKey, forge.md.sha256.create());

  return {
    caCertPem: forge.pki.certificateToPem(ca),
    caKeyPem: caKeys.privatePem,
    sealCertPem: forge.pki.certificateToPem(seal),
    sealKeyPem: sealKeys.privatePem,
  };
}
