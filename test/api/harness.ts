// An in-process sealdock for API tests: real SQLite file, real spool, real archive backend, real
// dev seal, real ffmpeg pipeline, and the fastify app on top. Nothing is mocked.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { stringify } from 'yaml';
import type { FastifyInstance } from 'fastify';
import { createArchive } from '../../src/archive/index.js';
import type { ArchiveBackend } from '../../src/archive/archive.js';
import { buildApiServer, type ApiDeps } from '../../src/api/server.js';
import { catalogPath, openCatalog, type Db } from '../../src/catalog/db.js';
import { DevicesRepo } from '../../src/catalog/devices-repo.js';
import { EvidenceRepo, type EvidenceRecord } from '../../src/catalog/evidence-repo.js';
import { TokensRepo, type Role } from '../../src/catalog/tokens-repo.js';
import { mediaConfigOf, sealConfigOf } from '../../src/config/adapters.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { IntakeService } from '../../src/intake/intake-service.js';
import { Spool } from '../../src/intake/spool.js';
import { createMediaService } from '../../src/media/index.js';
import { PipelineRunner } from '../../src/pipeline/runner.js';
import { requestDerivation } from '../../src/pipeline/transcode-wait.js';
import { createSealService, type SealService } from '../../src/seal/index.js';
import { fixture } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/workspace.js';

export interface Harness {
  dir: string;
  config: Config;
  db: Db;
  repo: EvidenceRepo;
  tokens: TokensRepo;
  archive: ArchiveBackend;
  seal: SealService;
  spool: Spool;
  deps: ApiDeps;
  app: FastifyInstance;
  runner: PipelineRunner;
  /** a fresh token of that role (optionally bound to a dock / already expired) */
  token(role: Role, opts?: { dockId?: string; expiresAt?: string }): string;
  /** ingests bytes as a pushed file and waits until the pipeline has taken it to one of `states` */
  preserve(
    name: string,
    bytes: Buffer,
    opts?: { sidecar?: Record<string, unknown>; states?: string[] },
  ): Promise<EvidenceRecord>;
  close(): Promise<void>;
}

export const COMPLETE_SIDECAR = {
  caseNumber: 'A-2026-0042',
  recordedAt: { start: '2026-11-20T08:15:00+08:00' },
  place: { text: '东街12号', lat: 32.35, lon: 106.83 },
  collector: { name: '张三', id: '031245' },
  purpose: '证明当事人拒绝检查',
};

/** A unique playable MP4: the fixture plus a unique trailing free atom. */
export function uniqueClip(tag: string): Buffer {
  const base = fs.readFileSync(fixture('h264-aac.mp4'));
  const payload = Buffer.from(`sealdock-api-test ${tag} ${randomBytes(8).toString('hex')}`);
  const atom = Buffer.alloc(8);
  atom.writeUInt32BE(8 + payload.length, 0);
  atom.write('free', 4, 'latin1');
  return Buffer.concat([base, atom, payload]);
}

export async function makeHarness(
  opts: { archive?: (config: Config) => ArchiveBackend; api?: Record<string, unknown>; pipeline?: boolean } = {},
): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-api-'));
  const configFile = path.join(dir, 'sealdock.yaml');
  fs.writeFileSync(
    configFile,
    stringify({
      dataDir: path.join(dir, 'data'),
      docks: [
        { id: 'dock1', path: path.join(dir, 'dock1'), place: '东街派出所', layout: 'flat', timezone: 'Asia/Shanghai' },
        { id: 'dock2', path: path.join(dir, 'dock2'), place: '西街派出所', layout: 'flat', timezone: 'Asia/Shanghai' },
      ],
      archive: { local: { path: path.join(dir, 'archive') } },
      pipeline: { retry: { baseDelayMs: 200, maxDelayMs: 2000 } },
      api: {
        enabled: true,
        port: 0,
        rateLimit: { max: 100000, timeWindowMs: 60000 },
        maxUploadBytes: 8 * 1024 * 1024,
        ...opts.api,
      },
      log: { level: 'silent' },
    }),
  );
  const { config } = loadConfig({ file: configFile, env: {} });
  const log = pino({ level: 'silent' });
  const db = openCatalog(catalogPath(config.dataDir));
  const repo = new EvidenceRepo(db);
  const devices = new DevicesRepo(db, repo.audit);
  const tokens = new TokensRepo(db, repo.audit);
  const spool = new Spool(path.join(config.dataDir, 'spool'));
  await spool.init();
  const archive = opts.archive ? opts.archive(config) : await createArchive(config);
  await archive.checkReady();
  const seal = createSealService(sealConfigOf(config), log);
  const media = createMediaService(mediaConfigOf(config));
  const controller = new AbortController();
  const ctx = { config, repo, devices, spool, archive, seal, media, log, version: 'test', signal: controller.signal };
  const intake = new IntakeService({ repo, spool, config, log });
  const runner = new PipelineRunner(ctx, undefined, 100);
  if (opts.pipeline !== false) runner.start();
  const deps: ApiDeps = {
    config,
    repo,
    devices,
    tokens,
    archive,
    intake,
    verifier: { verify: (c, p, t, e) => seal.verify(c, p, t, { expectedCertificateSha256: e }) },
    media,
    log,
    wake: () => runner.wake(),
    requestDerivation: (id, actor) => requestDerivation(ctx, id, actor, () => runner.wake()),
  };
  const app = await buildApiServer(deps);
  await app.ready();
  const dock = config.docks[0]!;
  return {
    dir,
    config,
    db,
    repo,
    tokens,
    archive,
    seal,
    spool,
    deps,
    app,
    runner,
    token(role, o = {}) {
      const { token } = tokens.create(
        { role, label: `test ${role}`, dockId: o.dockId, expiresAt: o.expiresAt },
        'test',
      );
      return token;
    },
    async preserve(name, bytes, o = {}) {
      const r = await intake.ingestStream(dock, Buffer.from(name), Readable.from([bytes]), {
        sidecar: o.sidecar as never,
      });
      const id = r.kind === 'new' ? r.evidence.id : r.kind === 'changed' ? '' : r.evidenceId;
      runner.wake();
      const states = new Set(o.states ?? ['archived', 'awaiting-annotation', 'unplayable']);
      return waitFor(
        `${name} to reach ${[...states].join('|')}`,
        () => {
          const e = repo.get(id);
          return e && states.has(e.state) ? e : null;
        },
        40_000,
        100,
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}; item: ${JSON.stringify(repo.get(id))}`);
      });
    },
    async close() {
      await app.close();
      controller.abort();
      await runner.stop();
      await archive.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
