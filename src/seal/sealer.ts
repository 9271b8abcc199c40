// A Sealer over loaded seal material: sign, then (when a TSA is configured) time-stamp the signature.
import type { Logger } from 'pino';
import { signDetached } from './cms.js';
import { signatureValueOf } from './cms-parse.js';
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
      const signature = signDetached(content, material);
      if (!config.tsaUrl) return { signature };
      // A configured TSA that fails fails the seal: the caller retries rather than archiving
      // a revision without the token the configuration promised.
      const timestampToken = await requestTimestamp(config.tsaUrl, signatureValueOf(signature), {
        timeoutMs: config.tsaTimeoutMs ?? undefined,
      });
      log?.debug({ bytes: content.length, tsa: config.tsaUrl }, 'manifest sealed and time-stamped');
      return { signature, timestampToken };
    },
  };
}
