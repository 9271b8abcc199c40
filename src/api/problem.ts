// RFC 9457 problem details. Every error leaves as application/problem+json with our stable
// `code` (errors.ts); whatever is not one of ours becomes 4xx when fastify says the client was
// at fault, else 500 with nothing internal in it.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCodes, isSealdockError, type ErrorCode } from '../errors.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  [extra: string]: unknown;
}

export const PROBLEM_TYPE_BASE = 'https://sealdock.invalid/problems/';

export function problem(code: ErrorCode, detail: string, extra: Record<string, unknown> = {}): Problem {
  const { status, title } = ErrorCodes[code];
  return {
    type: `${PROBLEM_TYPE_BASE}${code.toLowerCase().replace(/_/g, '-')}`,
    title,
    status,
    detail,
    code,
    ...extra,
  };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json; charset=utf-8').send(p);
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_INPUT',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_INPUT',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_INPUT',
  FST_ERR_BAD_URL: 'BAD_INPUT',
  FST_ERR_ASYNC_CONSTRAINT: 'BAD_INPUT',
};

/** Maps any error to a problem; `internal` tells the caller to log it. */
export function toProblem(err: unknown): { problem: Problem; internal: boolean } {
  if (isSealdockError(err)) {
    const extra =
      err.code === 'ELEMENT_INVALID' && err.details
        ? { problems: err.details.problems }
        : err.code === 'DERIVATIVE_PENDING' && err.details
          ? { derivation: err.details }
          : {};
    return { problem: problem(err.code, err.message, extra), internal: err.status >= 500 };
  }
  const e = err as Partial<FastifyError> & { validation?: unknown; validationContext?: string };
  if (e.validation)
    return { problem: problem('BAD_INPUT', e.message ?? 'request does not match the schema'), internal: false };
  const mapped = e.code ? FASTIFY_CODES[e.code] : undefined;
  if (mapped) return { problem: problem(mapped, e.message ?? ErrorCodes[mapped].title), internal: false };
  if (e.statusCode === 429) return { problem: problem('RATE_LIMITED', e.message ?? 'slow down'), internal: false };
  if (e.statusCode === 413) return { problem: problem('PAYLOAD_TOO_LARGE', e.message ?? 'too large'), internal: false };
  if (e.statusCode === 415)
    return { problem: problem('UNSUPPORTED_MEDIA_TYPE', e.message ?? 'unsupported media type'), internal: false };
  if (e.statusCode === 414) return { problem: problem('URI_TOO_LONG', e.message ?? 'too long'), internal: false };
  if (e.statusCode === 431) return { problem: problem('HEADERS_TOO_LARGE', e.message ?? 'too large'), internal: false };
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const p = problem('BAD_INPUT', e.message ?? 'bad request');
    return { problem: { ...p, status: e.statusCode }, internal: false };
  }
  return { problem: problem('INTERNAL', 'internal error; the server log has the details'), internal: true };
}

export function errorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { problem: p, internal } = toProblem(err);
  if (internal) request.log.error({ err }, 'request failed');
  if (p.code === 'UNAUTHORIZED') reply.header('www-authenticate', 'Bearer realm="sealdock"');
  const retryAfter = (p.derivation as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  return sendProblem(reply, p);
}

/** The JSON schema of a problem response (for route schemas and OpenAPI). */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', enum: Object.keys(ErrorCodes) },
  },
  additionalProperties: true,
} as const;
