// Liveness, readiness and metrics. Readiness checks what evidence intake and retrieval depend on:
// the catalog answers, the archive answers, ffmpeg/ffprobe run. Slow checks are cached briefly
// so a probe every second does not become load.
import type { FastifyInstance } from 'fastify';
import { errorMessage } from '../../errors.js';
import type { ApiDeps } from '../deps.js';
import { metricsEndpoint } from '../../metrics.js';
import { ADMIN } from '../roles.js';
import { problemRef } from '../schemas.js';

interface Check {
  ok: boolean;
  detail?: string | undefined;
}

function cached(ttlOkMs: number, ttlFailMs: number, run: () => Promise<void>): () => Promise<Check> {
  let last: { at: number; check: Check } | null = null;
  let inflight: Promise<Check> | null = null;
  return async () => {
    if (last && Date.now() - last.at < (last.check.ok ? ttlOkMs : ttlFailMs)) return last.check;
    inflight ??= run()
      .then((): Check => ({ ok: true }))
      .catch((err: unknown): Check => ({ ok: false, detail: errorMessage(err) }))
      .then((check) => {
        last = { at: Date.now(), check };
        inflight = null;
        return check;
      });
    return inflight;
  };
}

/** Is the archive reachable (cached briefly): for /readyz and the console's status. */
export function archiveProbe(deps: Pick<ApiDeps, 'repo' | 'archive'>): () => Promise<Check> {
  // head() of a real key proves the archive answers and we may read it; never checkReady(), which
  // on the local backend clears temp files a running archive stage may be writing.
  return cached(5_000, 2_000, async () => {
    const newest = deps.repo.archiveObjects.newest();
    // The recorded version: a delete marker on the key is not an outage.
    const info = await deps.archive.head(newest?.key ?? 'readyz-probe', newest?.versionId ?? undefined);
    if (newest && !info) throw new Error(`archived object ${newest.key} is not there`);
  });
}

const checkSchema = { type: 'object', properties: { ok: { type: 'boolean' }, detail: { type: 'string' } } } as const;

export function healthRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/healthz',
    {
      // Probes are outside the rate limit: a busy API must not look dead to its supervisor.
      config: { access: 'public', rateLimit: false },
      schema: { summary: 'Liveness', response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } },
    },
    async () => ({ ok: true }),
  );

  const mediaCheck = cached(60_000, 5_000, async () => void (await deps.media.checkTools()));
  const archiveCheck = archiveProbe(deps);

  app.get(
    '/readyz',
    {
      config: { access: 'public', rateLimit: false },
      schema: {
        summary: 'Readiness: catalog, archive and media tools',
        response: {
          200: {
            type: 'object',
            properties: {
              ok: { type: 'boolean' },
              degraded: { type: 'boolean', description: 'the archive is unreachable; intake continues into the spool' },
              checks: { type: 'object', additionalProperties: checkSchema },
            },
          },
          503: {
            type: 'object',
            properties: {
              ok: { type: 'boolean' },
              degraded: { type: 'boolean', description: 'the archive is unreachable; intake continues into the spool' },
              checks: { type: 'object', additionalProperties: checkSchema },
            },
          },
        },
      },
    },
    async (_request, reply) => {
      let catalog: Check;
      try {
        deps.repo.ping();
        catalog = { ok: true };
      } catch (err) {
        catalog = { ok: false, detail: errorMessage(err) };
      }
      const health = deps.archiveHealth?.state();
      const degraded = health !== undefined && !health.ready;
      const [archive, media] = await Promise.all([
        degraded
          ? {
              ok: false,
              detail: `degraded since ${health.since}: ${health.reason ?? 'archive unreachable'}; footage is kept in the spool (next check ${health.nextCheckAt ?? 'soon'})`,
            }
          : archiveCheck(),
        mediaCheck(),
      ]);
      // A store that let the canary's lock be broken is reachable but not fit to archive to.
      const lock = deps.archive.lockStatus?.();
      const archiveLock: Check =
        lock === undefined
          ? { ok: true, detail: 'no Object Lock on this backend' }
          : lock === null
            ? { ok: true, detail: 'self-test not run yet' }
            : lock.ok
              ? { ok: true, detail: `self-test passed at ${lock.checkedAt}` }
              : { ok: false, detail: `self-test failed at ${lock.checkedAt}: ${lock.problem}; nothing is archived` };
      const ok = catalog.ok && archive.ok && media.ok && archiveLock.ok;
      return reply.code(ok ? 200 : 503).send({ ok, degraded, checks: { catalog, archive, archiveLock, media } });
    },
  );

  const prometheus = metricsEndpoint(deps.repo);
  app.get(
    '/metrics',
    {
      config: { access: ADMIN },
      schema: {
        summary: 'Prometheus metrics (admin token: Prometheus sends it with `authorization: {credentials: …}`)',
        response: {
          200: {
            description: 'Prometheus text format 0.0.4',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          401: problemRef,
          403: problemRef,
        },
      },
    },
    async (_request, reply) => reply.type(prometheus.contentType).send(await prometheus.render()),
  );
}
