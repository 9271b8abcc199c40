// What the API is built from: the same adapters the daemon wires for the pipeline.
import type { Logger } from 'pino';
import type { ArchiveBackend } from '../archive/archive.js';
import type { DevicesRepo } from '../catalog/devices-repo.js';
import type { EvidenceRepo } from '../catalog/evidence-repo.js';
import type { TokensRepo } from '../catalog/tokens-repo.js';
import type { Config } from '../config/schema.js';
import type { IntakeService } from '../intake/intake-service.js';
import type { DerivationStatus } from '../pipeline/transcode-wait.js';
import type { ArchiveHealth } from '../pipeline/archive-health.js';
import type { SealVerifier } from '../seal/verifier.js';

export interface ApiDeps {
  config: Config;
  repo: EvidenceRepo;
  devices: DevicesRepo;
  tokens: TokensRepo;
  archive: ArchiveBackend;
  intake: IntakeService;
  verifier: SealVerifier;
  media: { checkTools(): Promise<unknown> };
  /** The daemon's archive check; when degraded, /readyz says so without asking the archive again. */
  archiveHealth?: Pick<ArchiveHealth, 'state'> | undefined;
  log: Logger;
  /** Tells the pipeline there is new work (after an upload or an annotation). */
  wake(): void;
  /** Someone asked to play `id`: a transcode put off (media.transcode) is made now. */
  requestDerivation(id: string, actor: string): DerivationStatus;
}
