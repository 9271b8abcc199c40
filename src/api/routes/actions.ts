// Acting on one item: re-verify it against the archive; annotate it (admin).
import type { FastifyInstance } from 'fastify';
import { pinnedReaderFor, reportTampering } from '../../audit/alarms.js';
import { DAEMON_ACTOR } from '../../intake/intake-service.js';
import { annotate } from '../../usecases/annotate.js';
import { SealdockError } from '../../errors.js';
import { expectationOf, verifyEvidence } from '../../usecases/verify-evidence.js';
import { actorOf, recordAccess } from '../access-log.js';
import type { ApiDeps } from '../deps.js';
import { decodeReason } from '../reason.js';
import { ADMIN, AUDITOR } from '../roles.js';
import { errorResponses, idParams, reasonHeaders } from '../schemas.js';

const looseObject = { type: 'object', additionalProperties: true } as const;
const stringOrObject = { anyOf: [{ type: 'string' }, looseObject] } as const;

export function actionRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post<{ Params: { id: string } }>(
    '/api/v1/evidence/:id/verify',
    {
      config: { access: AUDITOR, reads: 'verify' },
      schema: {
        summary: 'Re-read every object from the archive, re-hash, check every seal and the revision chain',
        params: idParams,
        headers: reasonHeaders,
        response: {
          200: {
            type: 'object',
            required: ['id', 'ok'],
            properties: {
              id: { type: 'string' },
              ok: { type: 'boolean' },
              intact: { type: 'boolean', description: 'seals, chain and hashes check out' },
              tampering: {
                type: 'array',
                items: looseObject,
                description: "versions and delete markers on the item's keys that sealdock never wrote",
              },
              revisions: { type: 'array', items: looseObject },
              objects: { type: 'array', items: looseObject },
              problems: { type: 'array', items: { type: 'string' } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const header = request.headers['x-access-reason'];
      if (header !== undefined) request.accessContext = { reason: decodeReason(header) };
      const item = deps.repo.get(id);
      if (!item) throw new SealdockError('NOT_FOUND', `no evidence ${id}`);
      const v = await verifyEvidence(
        {
          archive: deps.archive,
          verifier: deps.verifier,
          reader: pinnedReaderFor(deps.archive, deps, DAEMON_ACTOR),
          recorded: deps.repo.archiveObjects.ofItem(id),
        },
        id,
        expectationOf(item),
      );
      reportTampering(deps, DAEMON_ACTOR, id, v.tampering);
      const problems = [
        ...v.problems,
        ...v.revisions.flatMap((r) => r.problems),
        ...v.objects.filter((o) => !o.ok).map((o) => `${o.key}: ${o.problem}`),
      ];
      await recordAccess(deps, request, { what: 'verify', evidenceId: id, ok: v.ok, problems, status: 200 });
      const { latest: _latest, ...result } = v;
      return result;
    },
  );

  app.patch<{ Params: { id: string }; Body: Record<string, unknown> & { reason?: string } }>(
    '/api/v1/evidence/:id/annotation',
    {
      config: { access: ADMIN },
      schema: {
        summary: 'Set elements explicitly (strongest source); a settled item gets a new sealed revision',
        params: idParams,
        body: {
          type: 'object',
          properties: {
            caseNumber: { type: 'string', maxLength: 256 },
            recordedAt: stringOrObject,
            place: stringOrObject,
            collector: stringOrObject,
            purpose: { type: 'string', maxLength: 2000 },
            reason: { type: 'string', maxLength: 500, description: 'why, recorded with every changed element' },
          },
          additionalProperties: false,
          minProperties: 1,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              state: { type: 'string' },
              elements: looseObject,
              missing: { type: 'array', items: { type: 'string' } },
              changes: { type: 'array', items: looseObject },
            },
          },
          ...errorResponses,
          409: { $ref: 'Problem#' },
        },
      },
    },
    async (request) => {
      const { reason, ...elements } = request.body;
      const result = annotate(deps, request.params.id, elements, actorOf(request), reason?.normalize('NFC'));
      if (result.changes.length) deps.wake();
      return {
        id: result.item.id,
        state: result.item.state,
        elements: result.item.elements,
        missing: result.item.missing,
        changes: result.changes,
      };
    },
  );
}
