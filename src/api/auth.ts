// Bearer tokens. Identification runs first (so the rate limiter can key on the token), the
// decision after it; both look at the catalog on every request, so revocation is immediate.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SealdockError } from '../errors.js';
import { recordDenied } from './access-log.js';
import type { ApiDeps } from './deps.js';
import { roleAllows } from './roles.js';
import type { AuthFailure } from './types.js';

const BEARER = /^Bearer[ ]+([!-~]{1,200})[ ]*$/i;

export function identify(deps: Pick<ApiDeps, 'tokens'>) {
  return async (request: FastifyRequest): Promise<void> => {
    request.principal = null;
    request.authFailure = null;
    request.accessRecorded = false;
    request.accessContext = {};
    const access = request.routeOptions.config.access;
    if (access === undefined || access === 'public') return;
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
      recordDenied(deps, request, 401, why);
      // One message for every failure: which part was wrong is for the audit log, not the caller.
      throw new SealdockError('UNAUTHORIZED', 'a valid bearer token is required (Authorization: Bearer sdk_…)');
    }
    if (!roleAllows(request.principal.role, access)) {
      recordDenied(deps, request, 403, `role ${request.principal.role} may not call this`);
      throw new SealdockError('FORBIDDEN', `a ${request.principal.role} token may not call this endpoint`);
    }
  };
}
