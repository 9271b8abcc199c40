// `sealdock start`: wires the adapters together (catalog, spool, archive, seal, media, docks)
// and runs the pipeline until SIGTERM/SIGINT. Every dependency is checked at start so a
// misconfiguration is a clear error now, not lost evidence later.
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { RunningApi } from './api/server.js';
import { createArchive } from './archive/index.js';
import { startSegmentTimer } from './usecases/audit-segments.js';
import type { ArchiveBackend } from './archive/archive.js';
import { startCheckpointer } from './catalog/checkpointer.js';
import { catalogPath, openCatalog, type Db } from './catalog/db.js';
import { DevicesRepo } from './catalog/devices-repo.js';
import { EvidenceRepo } from './catalog/evidence-repo.js';
import { TokensRepo } from './catalog/tokens-repo.js';
import { mediaConfigOf, sealConfigOf } from './config/adapters.js';
import type { Config } from './config/schema.js';
import { DockService } from './docks/dock-service.js';
import { DAEMON_ACTOR, IntakeService } from './intake/intake-service.js';
import { Spool } from './intake/spool.js';
import { createMediaService, type MediaService } from './media/index.js';
import type { PipelineContext } from './pipeline/context.js';
import { ArchiveHealth } from './pipeline/archive-health.js';
import { PipelineRunner } from './pipeline/runner.js';
import { takeLateSidecar } from './pipeline/late-sidecar.js';
import { requestDerivation } from './pipeline/transcode-wait.js';
import { createSealService, type SealService } from './seal/index.js';
import { createSealVerifier } from './seal/verifier.js';
import { SEALDOCK_VERSION } from './util/version.js';
import { nowIso } from './util/time.js';
import { acquireDataDirLock } from './util/data-dir-lock.js';
import { startLockSelfTests } from './usecases/lock-self-test.js';

export interface Daemon {
  ctx: PipelineContext;
  intake: IntakeService;
  runner: PipelineRunner;
  docks: DockService;
  /** Seals and archives the audit rows not yet in a segment (the crash policy's last words). */
  sealAuditTail(): Promise<void>;
  stop(): Promise<void>;
}

export function statusFilePath(dataDir: string): string {
  return path.join(dataDir, 'daemon-status.json');
}

export async function startDaemon(config: Config, log: Logger): Promise<Daemon> {
  const hostZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (hostZone !== config.timezone) {
    log.warn(
      { hostTimeZone: hostZone, timezone: config.timezone },
      `the host's time zone (${hostZone}) differs from the configured timezone (${config.timezone}): ` +
        "times in file names are read in the configured one (or the dock's), never the host's",
    );
  }
  const media: MediaService = createMediaService(mediaConfigOf(config));
  const tools = await media.checkTools();
  log.info({ ffmpeg: tools.ffmpeg, ffprobe: tools.ffprobe }, 'media tools found');

  await fsp.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const lock = await acquireDataDirLock(config.dataDir);
  const db: Db = openCatalog(catalogPath(config.dataDir));
  const checkpointer = startCheckpointer(db, {
    onError: (message) =>
      log.warn({ err: message }, 'catalog checkpoint failed; SQLite checkpoints in commits meanwhile'),
  });
  const repo = new EvidenceRepo(db);
  const devices = new DevicesRepo(db, repo.audit);
  const spool = new Spool(path.join(config.dataDir, 'spool'), { readBack: config.archive.backend === 'local' });
  const removed = await spool.init();
  if (removed) log.info({ removed }, 'removed unfinished spool temp files from a previous run');

  const archive: ArchiveBackend = await createArchive(config, { owner: true });
  // A start refused from here on lets go of what it holds: the checkpoint thread (which kept a
  // refused daemon alive for ever), the archive client, the catalog and the data-dir lock.
  const abandonStart = async (err: unknown): Promise<never> => {
    await archive.close().catch(() => undefined);
    await checkpointer?.stop();
    db.close();
    await lock.release();
    throw err;
  };
  let wakeRunner = () => undefined as void;
  // Unreachable → start degraded and keep taking footage into the spool; unfit → refuse to start.
  const archiveHealth = new ArchiveHealth(archive, log, config.pipeline.retry, () => wakeRunner());
  await archiveHealth.checkAtStart().catch(abandonStart);
  const seal: SealService = createSealService(sealConfigOf(config), log);
  if (seal.warning) log.warn({ seal: seal.info }, seal.warning);

  // The same trust rules as `sealdock verify`: anchors from config and the development CA only.
  const verifier = createSealVerifier(sealConfigOf(config));
  const controller = new AbortController();
  const ctx: PipelineContext = {
    config,
    repo,
    devices,
    spool,
    archive,
    seal,
    media,
    log,
    version: SEALDOCK_VERSION,
    signal: controller.signal,
    archiveHealth,
    verifier,
  };
  const intake = new IntakeService({ repo, spool, config, log });
  const runner = new PipelineRunner(ctx);
  wakeRunner = () => runner.wake();
  const docks = new DockService({
    config,
    intake,
    log,
    onIntake: () => runner.wake(),
    onSidecar: async (dock, relPath, absPath) => {
      if (await takeLateSidecar({ repo, devices, config }, dock, relPath, absPath)) runner.wake();
    },
  });

  let api: RunningApi | null = null;
  if (config.api.enabled) {
    // Listen before anything starts working: a port in use must stop the start, not leave a
    // daemon running without its API. Loaded only when enabled: fastify and its plugins are a
    // third of the daemon's memory.
    const { startApiServer } = await import('./api/server.js');
    try {
      api = await startApiServer({
        config,
        repo,
        devices,
        tokens: new TokensRepo(db, repo.audit),
        archive,
        intake,
        verifier,
        media,
        archiveHealth,
        log,
        wake: () => runner.wake(),
        requestDerivation: (id, actor) => requestDerivation(ctx, id, actor, () => runner.wake()),
      });
    } catch (err) {
      return abandonStart(err);
    }
    log.info({ url: api.url }, 'API listening');
  }
  const lockTests = startLockSelfTests({ archive, repo, log }, DAEMON_ACTOR);
  runner.start();
  await docks.start();
  const segments = startSegmentTimer(
    { repo, archive, seal, retentionDays: config.archive.retention.days, log },
    { intervalMs: config.audit.sealIntervalMs, maxRows: config.audit.sealMaxRows },
  );

  const startedAt = nowIso();
  const writeStatus = async () => {
    const file = statusFilePath(config.dataDir);
    const body = {
      pid: process.pid,
      version: SEALDOCK_VERSION,
      startedAt,
      updatedAt: nowIso(),
      archive: config.archive.backend,
      archiveHealth: archiveHealth.state(),
      seal: seal.info,
      docksPending: docks.pending(),
      docks: docks.report(),
      running: runner.running(),
      media: { remux: media.queues.remux.status(), transcode: media.queues.transcode.status() },
      archiveLock: archive.lockStatus?.() ?? null,
    };
    await fsp.writeFile(`${file}.tmp`, JSON.stringify(body, null, 2));
    await fsp.rename(`${file}.tmp`, file);
  };
  await writeStatus();
  const statusTimer = setInterval(() => void writeStatus().catch(() => undefined), 2000);

  log.info(
    {
      version: SEALDOCK_VERSION,
      docks: config.docks.map((d) => d.id),
      archive: config.archive.backend,
      dataDir: config.dataDir,
    },
    'sealdock started',
  );

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('stopping: no new intake, running stages finish or resume after restart');
      clearInterval(statusTimer);
      archiveHealth.stop();
      lockTests.stop();
      await api?.close();
      await docks.stop();
      controller.abort();
      for (const q of Object.values(media.queues)) q.abortAll('shutdown');
      await runner.stop();
      await segments.stop(); // the rows of this run, sealed before the archive closes
      await archive.close();
      await fsp.rm(statusFilePath(config.dataDir), { force: true });
      await checkpointer?.stop();
      db.close();
      await lock.release();
      log.info('stopped');
    })());
  return { ctx, intake, runner, docks, sealAuditTail: () => segments.flush(), stop };
}
