// Fastify type augmentation: what auth and access supervision attach to a route and a request.
import type { PlaybackTicketRecord } from '../catalog/playback-tickets-repo.js';
import type { TokenRecord } from '../catalog/tokens-repo.js';
import type { Access } from './roles.js';

export interface AuthFailure {
  reason:
    | 'missing'
    | 'malformed'
    | 'unknown'
    | 'wrong-secret'
    | 'revoked'
    | 'expired'
    | `ticket-${'malformed' | 'unknown' | 'expired' | 'other-item' | 'token-revoked' | 'token-expired' | 'role'}`;
  tokenId: string | null;
}

declare module 'fastify' {
  interface FastifySchema {
    /** OpenAPI operation summary (openapi.ts) */
    summary?: string;
  }
  interface FastifyContextConfig {
    /** 'public' or the roles that may call the route. Every route must say. */
    access?: Access;
    /** Set on routes that read evidence data: names what is read, for the access audit row. */
    reads?: string;
    /** The route also accepts a playback ticket (`?ticket=`) in place of the token and the reason. */
    playback?: boolean;
  }
  interface FastifyRequest {
    principal: TokenRecord | null;
    authFailure: AuthFailure | null;
    /** True once the access audit row for this request is written. */
    accessRecorded: boolean;
    /** Context gathered by the handler for the access row written on failure. */
    accessContext: Record<string, unknown>;
    /** The playback ticket the request was admitted with, if any. */
    playbackTicket: PlaybackTicketRecord | null;
  }
}
