// Playback tickets for the web console. A <video> element can send neither a bearer token nor
// X-Access-Reason, so the console asks for a ticket with both, once per item, and plays
// `…/derivative?ticket=…` (downloads.ts serves it; auth.ts admits the ticket).
import type { FastifyInstance } from 'fastify';
import type { PlaybackTicketsRepo } from '../../catalog/playback-tickets-repo.js';
import { SealdockError } from '../../errors.js';
import { recordAccess } from '../access-log.js';
import type { ApiDeps } from '../deps.js';
import { decodeReason } from '../reason.js';
import { AUDITOR } from '../roles.js';
import { errorResponses, idParams, reasonHeaders } from '../schemas.js';

export function playbackRoutes(app: FastifyInstance, deps: ApiDeps, tickets: PlaybackTicketsRepo): void {
  app.post<{ Params: { id: string } }>(
    '/api/v1/evidence/:id/playback',
    {
      config: { access: AUDITOR, reads: 'playback-ticket' },
      schema: {
        summary:
          'A short-lived ticket to play this item: bound to the calling token, the item and the reason (X-Access-Reason required)',
        params: idParams,
        headers: reasonHeaders,
        response: {
          201: {
            type: 'object',
            required: ['ticket', 'expiresAt', 'url'],
            properties: {
              ticket: { type: 'string', description: 'sdp_…; shown once, stored hashed' },
              expiresAt: { type: 'string' },
              url: { type: 'string', description: 'the derivative URL with the ticket, for <video src>' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const reason = decodeReason(request.headers['x-access-reason']);
      request.accessContext = { reason };
      const { id } = request.params;
      const item = deps.repo.get(id);
      if (!item) throw new SealdockError('NOT_FOUND', `no evidence ${id}`);
      if (!deps.repo.archiveObjects.ofItem(id).some((o) => o.kind === 'derivative'))
        throw new SealdockError('NOT_FOUND', `${id} has no archived playback copy (state ${item.state})`);
      const { ticket, record } = tickets.issue({
        tokenId: request.principal!.id,
        evidenceId: id,
        reason,
        ttlMs: deps.config.api.playbackTicketMinutes * 60_000,
      });
      await recordAccess(deps, request, {
        what: 'playback-ticket',
        evidenceId: id,
        ticket: record.ref,
        expiresAt: record.expiresAt,
        status: 201,
      });
      return reply.code(201).send({
        ticket,
        expiresAt: record.expiresAt,
        url: `/api/v1/evidence/${encodeURIComponent(id)}/derivative?ticket=${ticket}`,
      });
    },
  );
}
