// Who looked at an item and why (调阅监督), for auditors: the access rows of one item. The full
// audit log stays admin-only (GET /api/v1/audit); reading this list is itself an access row.
import type { FastifyInstance } from 'fastify';
import { SealdockError } from '../../errors.js';
import { recordAccess } from '../access-log.js';
import type { ApiDeps } from '../deps.js';
import { AUDITOR } from '../roles.js';
import { errorResponses, idParams } from '../schemas.js';

export function supervisionRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Params: { id: string }; Querystring: { before?: number; limit: number } }>(
    '/api/v1/evidence/:id/access',
    {
      config: { access: AUDITOR, reads: 'access-log' },
      schema: {
        summary:
          'Recorded accesses to this item (who, when, what, why, result), newest first, page by page (before = the last seq seen)',
        params: idParams,
        querystring: {
          type: 'object',
          properties: {
            before: {
              type: 'integer',
              minimum: 1,
              description: 'only rows older than this seq (nextBefore of the previous page)',
            },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    seq: { type: 'integer' },
                    at: { type: 'string' },
                    actor: { type: 'string' },
                    what: { type: ['string', 'null'] },
                    method: { type: ['string', 'null'] },
                    reason: { type: ['string', 'null'] },
                    status: { type: ['integer', 'null'] },
                    range: { type: ['string', 'null'] },
                    ticket: { type: ['string', 'null'] },
                  },
                },
              },
              nextBefore: {
                type: ['integer', 'null'],
                description: 'pass as before for the next (older) page; null at the end',
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!deps.repo.get(id)) throw new SealdockError('NOT_FOUND', `no evidence ${id}`);
      // Written first, so the list includes this look too.
      await recordAccess(deps, request, { what: 'access-log', evidenceId: id, status: 200 });
      const { before, limit } = request.query;
      // Newest first from the item's own partial index: a page costs the same after a million reads.
      const rows = deps.repo.audit.accessOf(id, { beforeSeq: before, limit: limit + 1 });
      const page = rows.slice(0, limit);
      const str = (v: unknown) => (typeof v === 'string' ? v : null);
      return {
        nextBefore: rows.length > limit ? page.at(-1)!.seq : null,
        items: page.map((r) => ({
          seq: r.seq,
          at: r.at,
          actor: r.actor,
          what: str(r.details.what),
          method: str(r.details.method),
          reason: str(r.details.reason),
          status: typeof r.details.status === 'number' ? r.details.status : null,
          range: str(r.details.range),
          ticket: str(r.details.ticket),
        })),
      };
    },
  );
}
