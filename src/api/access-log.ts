// The retrieval-supervision record (记录信息调阅监督制度): who read what, when, why and with what
// result. Rows for successful reads are durable BEFORE any data leaves, so a read that could
// not be recorded does not happen; failures are recorded when the response is sent. Rows of
// concurrent requests share one commit (AuditLog.appendDurable: group commit).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditEntry } from '../catalog/audit-repo.js';
import type { ApiDeps } from './deps.js';

export function actorOf(request: FastifyRequest): string {
  return request.principal ? `token:${request.principal.id}` : `client:${request.ip}`;
}

export interface AccessNote {
  what: string;
  evidenceId?: string | null | undefined;
  status: number;
  [detail: string]: unknown;
}

/** Durable before it resolves; awaited before any data of the read is sent. */
export async function recordAccess(
  deps: Pick<ApiDeps, 'repo'>,
  request: FastifyRequest,
  note: AccessNote,
): Promise<void> {
  await deps.repo.audit.appendDurable(accessEntry(request, note));
  request.accessRecorded = true;
}

/**
 * The same row, committed in its own transaction before this returns, for callers that cannot
 * wait on a promise (the archive reader's synchronous beforeFirstByte) or that nobody waits on.
 */
export function recordAccessNow(deps: Pick<ApiDeps, 'repo'>, request: FastifyRequest, note: AccessNote): void {
  deps.repo.audit.append(accessEntry(request, note));
  request.accessRecorded = true;
}

function accessEntry(request: FastifyRequest, note: AccessNote): AuditEntry {
  const { what, evidenceId, status, ...rest } = note;
  return {
    actor: actorOf(request),
    action: 'access',
    evidenceId: evidenceId ?? null,
    details: {
      tokenId: request.principal?.id ?? null,
      role: request.principal?.role ?? null,
      client: request.ip,
      method: request.method,
      what,
      ...request.accessContext,
      ...rest,
      status,
    },
  };
}

export async function recordDenied(
  deps: Pick<ApiDeps, 'repo'>,
  request: FastifyRequest,
  status: number,
  why: string,
): Promise<void> {
  await deps.repo.audit.appendDurable({
    actor: actorOf(request),
    action: 'access-denied',
    evidenceId: null,
    details: {
      tokenId: request.principal?.id ?? request.authFailure?.tokenId ?? null,
      role: request.principal?.role ?? null,
      client: request.ip,
      method: request.method,
      // the path only: a query could carry anything; the Authorization header is never recorded
      path: request.url.split('?')[0]!.slice(0, 512),
      route: request.routeOptions.url ?? null,
      why,
      status,
    },
  });
  request.accessRecorded = true;
}

/** onResponse: a read that ended in an error (404, 400 without reason, 416 …) is recorded too. */
export function recordFailedRead(deps: Pick<ApiDeps, 'repo' | 'log'>) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const what = request.routeOptions.config.reads;
    if (!what || request.accessRecorded || !request.principal) return;
    try {
      const params = request.params as Record<string, string> | undefined;
      // The answer has gone already: nothing waits on this row, so it is written at once.
      recordAccessNow(deps, request, { what, evidenceId: params?.id ?? null, status: reply.statusCode });
    } catch (err) {
      deps.log.error({ err }, 'could not record a failed read in the audit log');
    }
  };
}
