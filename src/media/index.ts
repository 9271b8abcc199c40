// The media service the pipeline uses: probe, plan, derive (through the bounded queue),
// stream hashes and tool checks, all bound to one config.
import { checkTools, ffmpegVersion, streamHashes } from './ffmpeg.js';
import { deriveMedia, type DeriveConfig, type DeriveRequest } from './derive.js';
import { planDerivative } from './plan.js';
import { probeMedia } from './probe.js';
import { MediaQueue } from './queue.js';
import type { DerivativePlan, ProbeOutcome, ProbeResult, Provenance } from './types.js';

/** The derive settings (less its tuning knobs) plus what only the service needs. */
export type MediaConfig = Omit<DeriveConfig, 'crf' | 'killGraceMs' | 'fontCandidates'> & {
  ffprobePath: string;
  concurrency: number;
};

export interface MediaService {
  readonly config: Readonly<MediaConfig>;
  readonly queue: MediaQueue;
  probe(file: string, opts?: { signal?: AbortSignal; decode?: boolean }): Promise<ProbeOutcome>;
  plan(probe: ProbeResult): DerivativePlan;
  /** Runs in the queue; `label` shows in status (default: the output file name). */
  derive(req: DeriveRequest & { label?: string }): Promise<Provenance>;
  streamHashes(file: string, maps?: string[]): Promise<string[]>;
  checkTools(): Promise<{ ffmpeg: string; ffprobe: string }>;
  ffmpegVersion(): Promise<string>;
}

export function createMediaService(config: MediaConfig): MediaService {
  const cfg = Object.freeze({ ...config });
  const queue = new MediaQueue(cfg.concurrency);
  return {
    config: cfg,
    queue,
    probe: (file, opts = {}) =>
      probeMedia(file, {
        ffprobePath: cfg.ffprobePath,
        ffmpegPath: cfg.ffmpegPath,
        timeoutSeconds: cfg.timeoutSeconds,
        ...opts,
      }),
    plan: (probe) => planDerivative(probe, { maxHeight: cfg.maxHeight }),
    derive: ({ label, ...req }) =>
      queue.run(label ?? req.output, (ctx) =>
        deriveMedia(
          {
            ...req,
            signal: req.signal ? AbortSignal.any([req.signal, ctx.signal]) : ctx.signal,
            onProgress: (p) => {
              ctx.progress(p);
              req.onProgress?.(p);
            },
          },
          cfg,
        ),
      ),
    streamHashes: (file, maps) => streamHashes(cfg.ffmpegPath, file, maps, { timeoutSeconds: cfg.timeoutSeconds }),
    checkTools: () => checkTools(cfg),
    ffmpegVersion: () => ffmpegVersion(cfg.ffmpegPath),
  };
}

export type { DeriveRequest } from './derive.js';
export type { JobStatus } from './queue.js';
export type { RecordedAtInput, RecordedAtResult } from './recorded-at.js';
export type * from './types.js';
export { MediaQueue } from './queue.js';
export { planDerivative } from './plan.js';
export { probeMedia } from './probe.js';
export { deriveMedia, stampTagMap, describeStamp } from './derive.js';
export { resolveRecordedAt, DEFAULT_FILENAME_PATTERNS, formatWithOffset } from './recorded-at.js';
export { parseIso6709, formatIso6709 } from './iso6709.js';
