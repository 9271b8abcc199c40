// Maps the validated config onto the option shapes of the seal and media modules.
import os from 'node:os';
import path from 'node:path';
import type { MediaConfig } from '../media/index.js';
import type { SealConfig } from '../seal/index.js';
import type { Config } from './schema.js';

const orUndefined = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export function sealConfigOf(config: Config): SealConfig {
  const s = config.seal;
  return {
    keyFile: orUndefined(s.keyFile),
    certFile: orUndefined(s.certFile),
    chainFile: orUndefined(s.chainFile),
    pkcs12File: orUndefined(s.pkcs12File),
    passphraseEnv: s.passphraseEnv,
    tsaUrl: orUndefined(s.tsaUrl),
    tsaTimeoutMs: s.tsaTimeoutMs,
    devDir: path.join(config.dataDir, 'dev-seal'),
    organisation: orUndefined(s.organisation),
    trustedCaFiles: s.trustedCaFiles,
    tsaTrustedCaFiles: s.tsaTrustedCaFiles,
  };
}

export function mediaConfigOf(config: Config): MediaConfig {
  const m = config.media;
  return {
    ffmpegPath: m.ffmpegPath,
    ffprobePath: m.ffprobePath,
    concurrency: m.concurrency === 0 ? os.availableParallelism() : m.concurrency,
    transcodeConcurrency: m.transcodeConcurrency,
    maxHeight: m.maxHeight,
    preset: m.preset,
    nice: m.nice,
    timeoutSeconds: m.timeoutSeconds,
    probeTimeoutSeconds: m.probeTimeoutSeconds,
    burnIn: m.burnIn,
    nodeId: config.nodeId ?? os.hostname(),
  };
}
