// A Sealer over loaded seal material: sign (CAdES-B-B), then, when a TSA is configured, time-stamp the
// signature value and embed the token (CAdES-B-T). The token is also returned on its own for the
// `.tsr` file, which the plain `openssl ts -verify` recipe checks.
import type { Logger } from 'pino';
import { signDetached } from './cms.js';
import type { SealConfig, SealMaterial } from './keys.js';
import { requestTimestamp } from './tsa.js';
import type { Sealer, SealOutput } from './types.js';

export function createSealer(
  material: SealMaterial,
  config: Pick<SealConfig, 'tsaUrl' | 'tsaTimeoutMs'>,
  log?: Logger,
): Sealer {
  return {
    info: material.info,
    async seal(content: Buffer): Promise<SealOutput> {
      const signed = await signDetached(content, material.signer);
      if (!config.tsaUrl) return { signature: signed.der };
      // A configured TSA that fails fails the seal: the caller retries rather than archiving
      // a revision without the token the configuration promised.
      const timestampToken = await requestTimestamp(config.tsaUrl, signed.signatureValue, {
        timeoutMs: config.tsaTimeoutMs ?? undefined,
      });
      log?.debug({ bytes: content.length, tsa: config.tsaUrl }, 'manifest sealed and time-stamped');
      return { signature: signed.withSignatureTimestamp(timestampToken), timestampToken };
    },
  };
}
