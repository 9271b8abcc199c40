// The audit log itself (admin): custody, element changes, token changes and every access.
import type { FastifyInstance } from 'fastify';
import { AUDIT_ACTIONS } from '../../audit/actions.js';
import { recordAccess } from '../access-log.js';
import type { ApiDeps } from '../deps.js';
import { ADMIN } from '../roles.js';
import { errorResponses } from '../schemas.js';

interface AuditQuery {
  evidenceId?: string;
  action?: string;
  actor?: string;
  after?: number;
  limit: number;
}

export function auditRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Querystring: AuditQuery }>(
    '/api/v1/audit',
    {
      config: { access: ADMIN, reads: 'audit' },
      schema: {
        summary: 'Audit rows, oldest first (page with after = the last seq seen)',
        querystring: {
          type: 'object',
          properties: {
            evidenceId: { type: 'string', maxLength: 64 },
            action: { type: 'string', enum: [...AUDIT_ACTIONS] },
            actor: { type: 'string', maxLength: 256 },
            after: { type: 'integer', minimum: 0 },
            limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
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
                    action: { type: 'string' },
                    evidenceId: { type: ['string', 'null'] },
                    details: { type: 'object', additionalProperties: true },
                    prevHash: { type: 'string' },
                    hash: { type: 'string' },
                  },
                },
              },
              nextAfter: { type: ['integer', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const items = deps.repo.audit.list({
        evidenceId: q.evidenceId,
        action: q.action,
        actor: q.actor,
        afterSeq: q.after,
        limit: q.limit,
      });
      const last = items.at(-1);
      await recordAccess(deps, request, {
        what: 'audit',
        evidenceId: q.evidenceId ?? null,
        query: q,
        count: items.length,
        status: 200,
      });
      return { items, nextAfter: items.length === q.limit && last ? last.seq : null };
    },
  );
}
