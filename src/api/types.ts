// Fastify type augmentation: what auth and access supervision attach to a route and a request.
import type { TokenRecord } from '../catalog/tokens-repo.js';
import type { Access } from './roles.js';

export interface AuthFailure {
  reason: 'missing' | 'malformed' | 'unknown' | 'wrong-secret' | 'revoked' | 'expired';
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
  }
  interface FastifyRequest {
    principal: TokenRecord | null;
    authFailure: AuthFailure | null;
    /** True once the access audit row for this request is written. */
    accessRecorded: boolean;
    /** Context gathered by the handler for the access row written on failure. */
    accessContext: Record<string, unknown>;
  }
}
