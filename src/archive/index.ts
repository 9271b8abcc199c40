// Chooses the archive backend from config: the only place that knows both exist.
import type { Config } from '../config/schema.js';
import type { ArchiveBackend } from './archive.js';
import { LocalArchive } from './local.js';

/**
 * `owner`: the daemon, which alone may clean up what its own interrupted writes left behind.
 * The S3 backend (and the AWS SDK, ~20 MB of memory) is loaded only when it is configured.
 */
export async function createArchive(config: Config, opts: { owner?: boolean } = {}): Promise<ArchiveBackend> {
  const a = config.archive;
  if (a.backend === 'local') return new LocalArchive({ root: a.local.path, sweepTemp: opts.owner ?? false });
  const { S3Archive } = await import('./s3.js');
  return new S3Archive({
    endpoint: a.s3.endpoint ?? undefined,
    region: a.s3.region,
    bucket: a.s3.bucket!,
    forcePathStyle: a.s3.forcePathStyle,
    partSizeMiB: a.s3.partSizeMiB,
    queueSize: a.s3.queueSize,
    verify: a.s3.verify,
    requestTimeoutMs: a.s3.requestTimeoutMs,
  });
}

export type { ArchiveBackend } from './archive.js';
