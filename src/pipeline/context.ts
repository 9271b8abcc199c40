// Everything a pipeline stage may touch, each an adapter for one external effect.
import type { Logger } from 'pino';
import type { ArchiveBackend } from '../archive/archive.js';
import type { DevicesRepo } from '../catalog/devices-repo.js';
import type { EvidenceRepo } from '../catalog/evidence-repo.js';
import type { Config, DockConfig } from '../config/schema.js';
import type { Spool } from '../intake/spool.js';
import type { MediaService } from '../media/index.js';
import type { SealService } from '../seal/index.js';
import type { SealVerifier } from '../seal/verifier.js';
import type { ArchiveHealth } from './archive-health.js';

export interface PipelineContext {
  config: Config;
  repo: EvidenceRepo;
  devices: DevicesRepo;
  spool: Spool;
  archive: ArchiveBackend;
  seal: SealService;
  media: MediaService;
  log: Logger;
  version: string;
  /** Aborted on shutdown: running stages stop cleanly and resume after restart. */
  signal: AbortSignal;
  /** The daemon's archive check: no stage starts while the archive is unreachable (degraded). */
  archiveHealth?: Pick<ArchiveHealth, 'ready' | 'reportUnavailable'> | undefined;
  /** Trust rules for seals found in the archive (adoption); the same as `sealdock verify`. */
  verifier?: SealVerifier | undefined;
}

export function dockOf(config: Config, dockId: string): DockConfig | undefined {
  return config.docks.find((d) => d.id === dockId);
}
