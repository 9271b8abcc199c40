// Admission by playback ticket, pure apart from the two catalog reads. A ticket stands in for the
// token that asked for it and the reason given then, for one item, until it expires; the token is
// re-checked on every request, so revoking it (or its expiry) ends every ticket it obtained.
import type { FastifyRequest } from 'fastify';
import type { PlaybackTicketsRepo } from '../catalog/playback-tickets-repo.js';
import type { TokenRecord, TokensRepo } from '../catalog/tokens-repo.js';
import { AUDITOR, roleAllows } from './roles.js';
import type { AuthFailure } from './types.js';

export type TicketOutcome =
  | { ok: true; token: TokenRecord; ticket: NonNullable<FastifyRequest['playbackTicket']> }
  | { ok: false; failure: AuthFailure };

export function admitTicket(
  deps: { tokens: Pick<TokensRepo, 'get'>; tickets: Pick<PlaybackTicketsRepo, 'redeem'> },
  presented: string,
  evidenceId: string | undefined,
  now: Date = new Date(),
): TicketOutcome {
  const redeemed = deps.tickets.redeem(presented, now);
  if (!redeemed.ok) return { ok: false, failure: { reason: `ticket-${redeemed.why}`, tokenId: redeemed.tokenId } };
  const t = redeemed.record;
  const fail = (why: 'other-item' | 'token-revoked' | 'token-expired' | 'role'): TicketOutcome => ({
    ok: false,
    failure: { reason: `ticket-${why}`, tokenId: t.tokenId },
  });
  if (t.evidenceId !== evidenceId) return fail('other-item');
  const token = deps.tokens.get(t.tokenId);
  if (!token || token.revokedAt) return fail('token-revoked');
  if (token.expiresAt && Date.parse(token.expiresAt) <= now.getTime()) return fail('token-expired');
  if (!roleAllows(token.role, AUDITOR)) return fail('role');
  return { ok: true, token, ticket: t };
}

/** The ticket a request presents in its query string, if the route takes tickets. */
export function presentedTicket(request: FastifyRequest): string | undefined {
  if (!request.routeOptions.config.playback) return undefined;
  const q = request.query as { ticket?: unknown } | undefined;
  return typeof q?.ticket === 'string' ? q.ticket : undefined;
}

/** pino serializer for `req`: the query string is cut, since a playback ticket travels in it. */
export function redactedRequest(req: { method?: string; url?: string; ip?: string }) {
  return { method: req.method, url: req.url?.split('?')[0], remoteAddress: req.ip };
}
