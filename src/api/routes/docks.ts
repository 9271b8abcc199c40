// Push upload from a dock: the body streams straight into the spool (hashed on the way), never
// into memory. Too large, empty, a wrong digest, a body that disagrees with its Content-Length,
// an idle or too slow body, a spool without room: refused, and nothing is kept anywhere.
// The name is taken byte for byte from the request target (any bytes a file name may hold).
import { Readable, Transform } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { describeRejected, parseSidecar } from '../../elements/sidecar.js';
import type { Elements } from '../../elements/types.js';
import { SealdockError } from '../../errors.js';
import { displayName, exactNameOf } from '../../util/file-names.js';
import { actorOf } from '../access-log.js';
import type { ApiDeps } from '../deps.js';
import { uploadNameFromTarget } from '../names.js';
import { DOCK, dockAllows } from '../roles.js';
import { errorResponses } from '../schemas.js';

/** The same rules as a sidecar file beside docked footage, but any refused value refuses the upload. */
function decodeSidecar(
  raw: string | undefined,
  opts: { maxBytes: number; caseNumberPattern: string },
): Elements | undefined {
  if (raw === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]{1,20000}={0,2}$/.test(raw))
    throw new SealdockError('SIDECAR_INVALID', 'x-sealdock-sidecar must be base64url-encoded UTF-8 JSON');
  const v = parseSidecar(Buffer.from(raw, 'base64url'), opts);
  // A pushing client is there to fix it: any refused value refuses the upload (nothing kept).
  const problems = v.ok ? describeRejected(v.rejected) : v.problems;
  if (!v.ok || problems.length)
    throw new SealdockError('SIDECAR_INVALID', `x-sealdock-sidecar rejected: ${problems.join('; ')}`);
  return v.elements;
}

interface BodyLimits {
  maxBytes: number;
  /** past this many bytes the spool would eat into its reserve */
  roomBytes: number;
  idleTimeoutMs: number;
  minBytesPerSecond: number;
  rateWindowMs: number;
}

/**
 * Counts and times the body as it passes. Past a limit, idle for too long, or slower than the
 * minimum rate over a whole window: the pipeline fails and the spool drops the temp file.
 */
function guarded(body: Readable, l: BodyLimits): Readable {
  let n = 0;
  let lastByteAt = Date.now();
  let windowStart = { at: Date.now(), bytes: 0 };
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      lastByteAt = Date.now();
      if (n > l.maxBytes)
        cb(new SealdockError('PAYLOAD_TOO_LARGE', `upload exceeds the limit of ${l.maxBytes} bytes; nothing was kept`));
      else if (n > l.roomBytes)
        cb(
          new SealdockError(
            'INSUFFICIENT_STORAGE',
            'the spool has no room for the rest of this upload; nothing was kept',
          ),
        );
      else cb(null, chunk);
    },
  });
  const timer = setInterval(
    () => {
      const now = Date.now();
      if (now - lastByteAt >= l.idleTimeoutMs) {
        meter.destroy(
          new SealdockError('UPLOAD_TIMEOUT', `no body bytes for ${l.idleTimeoutMs} ms; cut off, nothing was kept`),
        );
      } else if (now - windowStart.at >= l.rateWindowMs) {
        const rate = ((n - windowStart.bytes) * 1000) / (now - windowStart.at);
        if (rate < l.minBytesPerSecond)
          meter.destroy(
            new SealdockError(
              'UPLOAD_TIMEOUT',
              `body arrived at ${Math.round(rate)} B/s, below ${l.minBytesPerSecond} B/s; cut off, nothing was kept`,
            ),
          );
        windowStart = { at: now, bytes: n };
      }
    },
    Math.max(50, Math.min(1000, l.idleTimeoutMs / 4)),
  );
  const done = () => clearInterval(timer);
  meter.once('close', done);
  meter.once('end', done);
  body.on('error', (err) => meter.destroy(err));
  // A client that goes away mid-body: the stream never ends, so say so.
  body.on('aborted', () =>
    meter.destroy(new SealdockError('BAD_INPUT', 'upload aborted by the client; nothing was kept')),
  );
  return body.pipe(meter);
}

/**
 * After exactly Content-Length bytes, anything more the client sent is parsed as a next request,
 * fails, and the server closes the socket: a body longer than it said it is keeps nothing either.
 */
async function framingHeld(socket: import('node:net').Socket): Promise<boolean> {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 20));
  return socket.destroyed !== true && socket.writableEnded !== true;
}

export function dockRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const max = Math.min(deps.config.api.maxUploadBytes, deps.config.intake.maxFileBytes);
  const uploads = deps.config.api.uploads;
  let active = 0;

  app.put<{ Params: { dockId: string; name: string }; Headers: Record<string, string | undefined>; Body: Readable }>(
    '/api/v1/docks/:dockId/files/:name',
    {
      config: { access: DOCK },
      schema: {
        summary: 'Push one file from a dock (body = the raw bytes)',
        params: {
          type: 'object',
          required: ['dockId', 'name'],
          properties: {
            dockId: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' },
            name: {
              type: 'string',
              minLength: 1,
              maxLength: 255,
              description: 'the file name, percent-encoded bytes (any bytes but / and NUL, at most 255)',
            },
          },
        },
        headers: {
          type: 'object',
          properties: {
            'x-content-sha256': {
              type: 'string',
              pattern: '^[0-9a-fA-F]{64}$',
              description: 'SHA-256 of the body (hex); a mismatch keeps nothing',
            },
            'x-sealdock-sidecar': {
              type: 'string',
              maxLength: 20000,
              description: 'base64url JSON with any of the five elements, as in a sidecar file',
            },
            'x-sealdock-device': {
              type: 'string',
              pattern: '^[\\p{L}\\p{N}][\\p{L}\\p{N}_.-]{0,63}$',
              description: 'recorder id',
            },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              result: { type: 'string' },
              sha256: { type: 'string' },
              size: { type: 'integer' },
              state: { type: 'string' },
            },
          },
          200: { type: 'object', properties: { id: { type: 'string' }, result: { type: 'string' } } },
          ...errorResponses,
          408: { $ref: 'Problem#' },
          413: { $ref: 'Problem#' },
          415: { $ref: 'Problem#' },
          503: { $ref: 'Problem#' },
          507: { $ref: 'Problem#' },
        },
      },
    },
    async (request, reply) => {
      const { dockId } = request.params;
      const name = uploadNameFromTarget(request.originalUrl);
      const dock = deps.config.docks.find((d) => d.id === dockId);
      if (!dock) throw new SealdockError('NOT_FOUND', `no dock ${dockId}`);
      if (!dockAllows(request.principal!.dockId, dockId))
        throw new SealdockError('FORBIDDEN', `this token is bound to dock ${request.principal!.dockId}`);
      const declared = request.headers['content-length'];
      if (declared !== undefined && Number(declared) > max) {
        reply.header('connection', 'close');
        throw new SealdockError(
          'PAYLOAD_TOO_LARGE',
          `upload of ${declared} bytes exceeds the limit of ${max}; nothing was kept`,
        );
      }
      if (declared === '0' || request.body === undefined || request.body === null)
        throw new SealdockError('BAD_INPUT', 'the request body (the file) is empty; nothing was kept');
      if (!(request.body instanceof Readable)) {
        throw new SealdockError(
          'UNSUPPORTED_MEDIA_TYPE',
          'send the file as the raw body (Content-Type: application/octet-stream)',
        );
      }
      const sidecar = decodeSidecar(request.headers['x-sealdock-sidecar'], {
        maxBytes: deps.config.intake.sidecarMaxBytes,
        caseNumberPattern: deps.config.elements.caseNumberPattern,
      });
      const device = request.headers['x-sealdock-device']?.normalize('NFC') ?? null;
      if (active >= uploads.maxConcurrent) {
        reply.header('retry-after', '30').header('connection', 'close');
        throw new SealdockError('BUSY', `${active} uploads are running (api.uploads.maxConcurrent); try again later`);
      }
      active++;
      let result;
      try {
        const room = (await deps.intake.spoolFreeBytes()) - uploads.spoolReserveBytes;
        if (room <= 0 || (declared !== undefined && Number(declared) > room)) {
          throw new SealdockError(
            'INSUFFICIENT_STORAGE',
            `the spool has ${Math.max(0, room)} bytes to spare above its reserve (api.uploads.spoolReserveBytes); nothing was kept`,
          );
        }
        const body = guarded(request.body, { maxBytes: max, roomBytes: room, ...uploads });
        result = await deps.intake.ingestStream(dock, name, body, {
          expectedSha256: request.headers['x-content-sha256'],
          deviceId: device,
          sidecar,
          beforeCommit: () => framingHeld(request.raw.socket),
        });
      } catch (err) {
        // The rest of the body is not wanted; do not keep the connection around for it.
        reply.header('connection', 'close');
        throw err;
      } finally {
        active--;
      }
      deps.wake();
      const id = result.kind === 'new' ? result.evidence.id : result.kind === 'changed' ? null : result.evidenceId;
      // Custody: which token pushed it, from where (the intake row itself names the daemon).
      deps.repo.audit.append({
        actor: actorOf(request),
        action: 'pushed',
        evidenceId: id,
        details: {
          tokenId: request.principal!.id,
          client: request.ip,
          dockId,
          name: displayName(name),
          exactName: exactNameOf(name),
          result: result.kind,
        },
      });
      if (result.kind === 'new') {
        request.log.info(
          { evidenceId: result.evidence.id, dockId, tokenId: request.principal!.id },
          'pushed upload received',
        );
        return reply.code(201).header('location', `/api/v1/evidence/${result.evidence.id}`).send({
          id: result.evidence.id,
          result: 'new',
          sha256: result.evidence.sha256,
          size: result.evidence.size,
          state: result.evidence.state,
        });
      }
      if (result.kind === 'changed') throw new SealdockError('INTERNAL', 'upload changed during intake');
      return reply.code(200).send({ id: result.evidenceId, result: result.kind });
    },
  );
}
