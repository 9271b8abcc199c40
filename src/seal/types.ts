// What the pipeline needs from an electronic seal. The CMS structure is built in src/seal/cms.ts only.

export interface SealInfo {
  /** SHA-256 of the signer certificate (DER), lowercase hex: recorded in every manifest. */
  certificateSha256: string;
  subject: string;
  notAfter: string;
  /** True for the generated development seal: every output that shows the seal says so. */
  development: boolean;
}

export interface SealOutput {
  /** Detached CMS SignedData, DER: CAdES-B-B, or CAdES-B-T with the token embedded. */
  signature: Buffer;
  /** RFC 3161 TimeStampToken (DER) over the signature value, when a TSA is configured. */
  timestampToken?: Buffer | undefined;
}

export interface Sealer {
  readonly info: SealInfo;
  /** Seals manifest bytes (never a video: the content must be small). */
  seal(content: Buffer): Promise<SealOutput>;
}

export interface SealCheck {
  ok: boolean;
  signerCertificateSha256?: string | undefined;
  signingTime?: string | undefined;
  problems: string[];
}
