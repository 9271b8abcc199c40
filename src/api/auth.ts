// Bearer tokens. Identification runs first (so the rate limiter can key on the token), the
// decision after it; both look at the catalog on every request, so revocation is immediate.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PlaybackTicketsRepo } from '../catalog/playback-tickets-repo.js';
import { SealdockError } from '../errors.js';
import { recordDenied } from './access-log.js';
import type { ApiDeps } from './deps.js';
import { admitTicket, presentedTicket } from './playback.js';
import { roleAllows } from './roles.js';
import type { AuthFailure } from './types.js';

const BEARER = /^Bearer[ ]+([!-~]{1,200})[ ]*$/i;

export function identify(deps: Pick<ApiDeps, 'tokens'> & { tickets: PlaybackTicketsRepo }) {
  return async (request: FastifyRequest): Promise<void> => {
    request.principal = null;
    request.authFailure = null;
    request.accessRecorded = false;
    request.accessContext = {};
    request.playbackTicket = null;
    const access = request.routeOptions.config.access;
    if (access === undefined || access === 'public') return;
    const ticket = presentedTicket(request);
    if (ticket !== undefined) {
      const outcome = admitTicket(deps, ticket, (request.params as { id?: string }).id);
      if (!outcome.ok) return void (request.authFailure = outcome.failure);
      request.principal = outcome.token;
      request.playbackTicket = outcome.ticket;
      return;
    }
    const header = request.headers.authorization;
    if (header === undefined) return void (request.authFailure = { reason: 'missing', tokenId: null });
    const m = BEARER.exec(header);
    if (!m) return void (request.authFailure = { reason: 'malformed', tokenId: null });
    const outcome = deps.tokens.authenticate(m[1]!);
    if (outcome.ok) request.principal = outcome.token;
    else request.authFailure = { reason: outcome.reason, tokenId: outcome.tokenId } satisfies AuthFailure;
  };
}

export function enforce(deps: Pick<ApiDeps, 'repo' | 'log'>) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const access = request.routeOptions.config.access;
    if (access === undefined || access === 'public') return;
    if (!request.principal) {
      const why = request.authFailure?.reason ?? 'missing';
      await recordDenied(deps, request, 401, why);
      // One message for every failure: which part was wrong is for the audit log, not the caller.
      throw new SealdockError('UNAUTHORIZED', 'a valid bearer token is required (Authorization: Bearer sdk_…)');
    }
    if (!roleAllows(request.principal.role, access)) {
      await recordDenied(deps, request, 403, `role ${request.principal.role} may not call this`);
      throw new SealdockError('FORBIDDEN', `a ${request.principal.role} token may not call this endpoint`);
    }
  };
}
