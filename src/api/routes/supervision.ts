// Who looked at an item and why (调阅监督), for auditors: the access rows of one item. The full
// audit log stays admin-only (GET /api/v1/audit); reading this list is itself an access row.
import type { FastifyInstance } from 'fastify';
import { SealdockError } from '../../errors.js';
import { recordAccess } from '../access-log.js';
import type { ApiDeps } from '../deps.js';
import { AUDITOR } from '../roles.js';
import { errorResponses, idParams } from '../schemas.js';

export function supervisionRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Params: { id: string } }>(
    '/api/v1/evidence/:id/access',
    {
      config: { access: AUDITOR, reads: 'access-log' },
      schema: {
        summary: 'Every recorded access to this item (who, when, what, why, result), newest first, at most 1000',
        params: idParams,
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
      recordAccess(deps, request, { what: 'access-log', evidenceId: id, status: 200 });
      const rows = deps.repo.audit.list({ evidenceId: id, action: 'access', limit: 10_000 }).slice(-1000).reverse();
      const str = (v: unknown) => (typeof v === 'string' ? v : null);
      return {
        items: rows.map((r) => ({
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
