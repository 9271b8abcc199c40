// Every error the daemon raises on purpose carries a stable code, defined here and only here,
// so the CLI (exit codes), the API (problem+json) and the logs speak the same language.

export const ErrorCodes = {
  CONFIG_INVALID: { status: 500, title: 'Configuration is invalid' },
  USAGE: { status: 400, title: 'Usage error' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  BAD_INPUT: { status: 400, title: 'Bad input' },
  CONFLICT: { status: 409, title: 'Conflict' },
  UNAUTHORIZED: { status: 401, title: 'Unauthorized' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  REASON_REQUIRED: { status: 400, title: 'X-Access-Reason header is required' },
  RANGE_NOT_SATISFIABLE: { status: 416, title: 'Range not satisfiable' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  DIGEST_MISMATCH: { status: 400, title: 'Content digest mismatch' },
  ARCHIVE_NOT_READY: { status: 503, title: 'Archive is not ready' },
  ARCHIVE_CONFLICT: { status: 500, title: 'Archive key already holds different content' },
  ARCHIVE_UNAVAILABLE: { status: 503, title: 'Archive is unavailable' },
  VERIFY_FAILED: { status: 500, title: 'Verification failed' },
  MEDIA_UNPLAYABLE: { status: 422, title: 'Media could not be decoded' },
  MEDIA_FAILED: { status: 500, title: 'Media processing failed' },
  TOOL_MISSING: { status: 500, title: 'A required external tool is missing' },
  SEAL_INVALID: { status: 500, title: 'Seal key or certificate is unusable' },
  SIDECAR_INVALID: { status: 400, title: 'Sidecar is invalid' },
  ELEMENT_INVALID: { status: 400, title: 'Element value is invalid' },
  URI_TOO_LONG: { status: 414, title: 'Request target too long' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request header fields too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class SealdockError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SealdockError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ErrorCodes[this.code].status;
  }
}

export function isSealdockError(err: unknown, code?: ErrorCode): err is SealdockError {
  return err instanceof SealdockError && (code === undefined || err.code === code);
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
