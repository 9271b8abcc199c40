// Downloads: the original, the playback derivative, a manifest revision and its seal, streamed
// from the archive (never buffered here), with single Range requests and validators. Every read
// needs X-Access-Reason and is recorded before the first byte leaves. The bytes come from the
// version the catalog recorded and are checked on the way (archive/pinned.ts): bytes that are not
// the record are refused, or cut off mid-body, with an integrity alarm — never a normal read.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PinnedObject } from '../../archive/pinned.js';
import { pinnedReaderFor } from '../../audit/alarms.js';
import { DAEMON_ACTOR } from '../../intake/intake-service.js';
import type { ArchiveObjectRecord, EvidenceRecord } from '../../catalog/evidence-repo.js';
import { SealdockError } from '../../errors.js';
import { contentTypeOf } from '../../util/content-type.js';
import { actorOf, recordAccess, recordAccessNow } from '../access-log.js';
import type { ApiDeps } from '../deps.js';
import { contentDisposition } from '../disposition.js';
import { etagMatches, ifRangeAllows, parseRange } from '../range.js';
import { decodeReason } from '../reason.js';
import { AUDITOR } from '../roles.js';
import { binaryResponse, errorResponses, idParams, reasonHeaders } from '../schemas.js';

type Kind = 'original' | 'derivative' | 'manifest' | 'signature';

interface Target extends PinnedObject {
  key: string;
  sha256: string;
  size: number;
  contentType: string;
  fileName: string;
}

const REV = /\/(\d{4})\.(?:json|mp4)(?:\.p7s)?$/;

function revisionOf(key: string): number | null {
  const m = REV.exec(key);
  return m ? Number(m[1]) : null;
}

/** Only objects the catalog knows as archived can be served: the archive key is never built from input. */
function resolveTarget(
  item: EvidenceRecord,
  objects: ArchiveObjectRecord[],
  kind: Kind,
  revision: number | undefined,
): Target {
  const ofKind = objects.filter((o) => o.kind === kind);
  const chosen =
    kind === 'original'
      ? ofKind[0]
      : revision === undefined
        ? ofKind.at(-1) // keys carry a zero-padded revision, and archiveObjects sorts by key
        : ofKind.find((o) => revisionOf(o.key) === revision);
  if (!chosen) {
    throw new SealdockError(
      'NOT_FOUND',
      `${item.id} has no archived ${kind}${revision !== undefined ? ` revision ${revision}` : ''}`,
    );
  }
  const rev = revisionOf(chosen.key);
  const stem = `${item.id}-${kind}${rev !== null ? `-${String(rev).padStart(4, '0')}` : ''}`;
  switch (kind) {
    case 'original':
      return { ...pick(chosen), contentType: contentTypeOf(item.originalName), fileName: item.originalName };
    case 'derivative':
      return { ...pick(chosen), contentType: 'video/mp4', fileName: `${stem}.mp4` };
    case 'manifest':
      return { ...pick(chosen), contentType: 'application/json', fileName: `${stem}.json` };
    case 'signature':
      return {
        ...pick(chosen),
        contentType: 'application/pkcs7-signature',
        fileName: `${item.id}-manifest-${String(rev ?? 0).padStart(4, '0')}.json.p7s`,
      };
  }
}

const pick = (o: ArchiveObjectRecord): PinnedObject => ({
  key: o.key,
  sha256: o.sha256,
  size: o.size,
  evidenceId: o.evidenceId,
  versionId: o.versionId,
  backendChecksum: o.backendChecksum,
});

/**
 * Asking to play an item brings its put-off transcode forward (media.transcode on-demand or
 * off-peak). With no archived derivative yet, the answer is 503 + Retry-After and the progress.
 */
function pendingDerivative(
  deps: ApiDeps,
  request: FastifyRequest<{ Params: { id: string } }>,
  objects: ArchiveObjectRecord[],
): void {
  const status = deps.requestDerivation(request.params.id, actorOf(request));
  if (status.status === 'pending' && !objects.some((o) => o.kind === 'derivative')) {
    throw new SealdockError(
      'DERIVATIVE_PENDING',
      status.waiting
        ? `the playback copy of ${request.params.id} waits for ${status.waiting}`
        : `the playback copy of ${request.params.id} is being made (${status.progress ?? 0} %); ask again shortly`,
      { ...status },
    );
  }
}

export function downloadRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const reader = pinnedReaderFor(deps.archive, deps, DAEMON_ACTOR);
  const serve =
    (kind: Kind) =>
    async (
      request: FastifyRequest<{ Params: { id: string }; Querystring: { revision?: number; ticket?: string } }>,
      reply: FastifyReply,
    ) => {
      // A playback ticket carries the reason given when it was issued (auth.ts admitted it).
      const ticket = request.playbackTicket;
      const reason = ticket ? ticket.reason : decodeReason(request.headers['x-access-reason']);
      const range = request.headers.range;
      request.accessContext = {
        reason,
        ...(ticket ? { ticket: ticket.ref } : {}),
        ...(range !== undefined ? { range: range.slice(0, 200) } : {}),
      };
      const { id } = request.params;
      const item = deps.repo.get(id);
      if (!item) throw new SealdockError('NOT_FOUND', `no evidence ${id}`);
      const objects = deps.repo.archiveObjects.ofItem(id);
      if (kind === 'derivative' && request.query.revision === undefined) pendingDerivative(deps, request, objects);
      const t = resolveTarget(item, objects, kind, request.query.revision);
      const etag = `"${t.sha256}"`;
      reply
        .header('accept-ranges', 'bytes')
        .header('etag', etag)
        .header('cache-control', 'private, no-cache')
        .header('x-content-type-options', 'nosniff')
        .header('content-type', t.contentType)
        .header('content-disposition', contentDisposition(t.fileName));
      const note = { what: kind, evidenceId: id, key: t.key };

      if (etagMatches(request.headers['if-none-match'], etag)) {
        await recordAccess(deps, request, { ...note, status: 304 });
        return reply.code(304).send();
      }
      const r = ifRangeAllows(request.headers['if-range'], etag)
        ? parseRange(range, t.size)
        : ({ kind: 'full' } as const);
      if (r.kind === 'unsatisfiable') {
        reply.header('content-range', `bytes */${t.size}`);
        throw new SealdockError(
          'RANGE_NOT_SATISFIABLE',
          `the object is ${t.size} bytes; the requested range does not overlap it`,
        );
      }
      const partial = r.kind === 'partial' ? { start: r.start, end: r.end } : undefined;
      const status = partial ? 206 : 200;
      reply.code(status).header('content-length', String(partial ? partial.end - partial.start + 1 : t.size));
      if (partial) reply.header('content-range', `bytes ${partial.start}-${partial.end}/${t.size}`);

      if (request.method === 'HEAD') {
        await recordAccess(deps, request, { ...note, status });
        return reply.send();
      }
      // The access row is written right before the first byte is released, so a read refused for
      // its bytes (or a small object that fails its hash) is recorded as the failed read it is.
      const opening = {
        reader: 'api' as const,
        // The reader calls this synchronously: the row is committed (durable) before it returns.
        beforeFirstByte: () =>
          recordAccessNow(deps, request, {
            ...note,
            ...(t.versionId ? { versionId: t.versionId } : {}),
            status,
            bytes: partial ? partial.end - partial.start + 1 : t.size,
          }),
      };
      // A range of a local file: written through reused buffers, straight to the socket (twice the
      // throughput of a stream of fresh 1 MiB chunks). The reply is ours from here on: headers as
      // set above, and the response is cut off (socket destroyed) if the file fails mid-range.
      const pump = partial ? await reader.openRange(t, { ...opening, range: partial }) : null;
      if (pump) {
        reply.hijack();
        for (const [name, value] of Object.entries(reply.getHeaders()))
          if (value !== undefined) reply.raw.setHeader(name, value);
        reply.raw.writeHead(status);
        void pump.run(reply.raw);
        return reply;
      }
      return reply.send(await reader.open(t, { ...opening, range: partial }));
    };

  const schema = (summary: string, withRevision: boolean, playback: boolean) => ({
    summary,
    params: idParams,
    headers: {
      ...reasonHeaders,
      properties: {
        ...reasonHeaders.properties,
        range: { type: 'string', description: 'one byte range (bytes=a-b, bytes=a-, bytes=-n); others are ignored' },
      },
    },
    ...(withRevision
      ? {
          querystring: {
            type: 'object',
            properties: {
              revision: { type: 'integer', minimum: 1, maximum: 9999 },
              ...(playback
                ? {
                    ticket: {
                      type: 'string',
                      maxLength: 100,
                      description: 'a playback ticket (POST …/playback) in place of the token and the reason',
                    },
                  }
                : {}),
            },
            additionalProperties: false,
          },
        }
      : { querystring: { type: 'object', properties: {}, additionalProperties: false } }),
    response: {
      200: binaryResponse,
      206: binaryResponse,
      304: { description: 'not modified' },
      416: { $ref: 'Problem#' },
      ...errorResponses,
    },
  });

  const routes: [Kind, string, string, boolean][] = [
    ['original', '/api/v1/evidence/:id/original', 'The original footage, byte for byte', false],
    ['derivative', '/api/v1/evidence/:id/derivative', 'The stamped playback copy (latest, or ?revision=N)', true],
    ['manifest', '/api/v1/evidence/:id/manifest', 'A sealed manifest revision (latest, or ?revision=N)', true],
    ['signature', '/api/v1/evidence/:id/signature', 'The detached CMS seal (.p7s) of a manifest revision', true],
  ];
  for (const [kind, url, summary, withRevision] of routes) {
    // GET and HEAD explicitly: fastify's automatic HEAD twin would reset Content-Length to 0.
    app.route({
      method: ['GET', 'HEAD'],
      url,
      config: { access: AUDITOR, reads: kind, playback: kind === 'derivative' },
      schema: schema(summary, withRevision, kind === 'derivative'),
      handler: serve(kind),
    });
  }
}
