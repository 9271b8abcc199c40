// Every error the daemon raises on purpose carries a stable code, defined here and only here,
// so the CLI (exit codes), the API (problem+json) and the logs speak the same language.
// `retry` says what a caller should do: 'retryable' errors may succeed later unchanged (the archive
// is back, a tool was busy), 'permanent' ones will fail the same way until the input or the
// configuration changes. The pipeline still never gives up on evidence, but it reports the class.

export const ErrorCodes = {
  CONFIG_INVALID: { status: 500, title: 'Configuration is invalid', retry: 'permanent' },
  USAGE: { status: 400, title: 'Usage error', retry: 'permanent' },
  NOT_FOUND: { status: 404, title: 'Not found', retry: 'permanent' },
  BAD_INPUT: { status: 400, title: 'Bad input', retry: 'permanent' },
  CONFLICT: { status: 409, title: 'Conflict', retry: 'permanent' },
  UNAUTHORIZED: { status: 401, title: 'Unauthorized', retry: 'permanent' },
  FORBIDDEN: { status: 403, title: 'Forbidden', retry: 'permanent' },
  REASON_REQUIRED: { status: 400, title: 'X-Access-Reason header is required', retry: 'permanent' },
  RANGE_NOT_SATISFIABLE: { status: 416, title: 'Range not satisfiable', retry: 'permanent' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large', retry: 'permanent' },
  DIGEST_MISMATCH: { status: 400, title: 'Content digest mismatch', retry: 'permanent' },
  ARCHIVE_NOT_READY: { status: 503, title: 'Archive is not ready', retry: 'retryable' },
  ARCHIVE_CONFLICT: { status: 500, title: 'Archive key already holds different content', retry: 'permanent' },
  ARCHIVE_UNAVAILABLE: { status: 503, title: 'Archive is unavailable', retry: 'retryable' },
  VERIFY_FAILED: { status: 500, title: 'Verification failed', retry: 'permanent' },
  // 502: the archive (our upstream) answered with bytes that are not the ones recorded; an alarm.
  INTEGRITY_ALARM: { status: 502, title: 'Archived bytes differ from the record', retry: 'permanent' },
  MEDIA_UNPLAYABLE: { status: 422, title: 'Media could not be decoded', retry: 'permanent' },
  MEDIA_FAILED: { status: 500, title: 'Media processing failed', retry: 'retryable' },
  DERIVATIVE_PENDING: { status: 503, title: 'The playback copy is being made', retry: 'retryable' },
  TOOL_MISSING: { status: 500, title: 'A required external tool is missing', retry: 'permanent' },
  SEAL_INVALID: { status: 500, title: 'Seal key or certificate is unusable', retry: 'permanent' },
  SIDECAR_INVALID: { status: 400, title: 'Sidecar is invalid', retry: 'permanent' },
  ELEMENT_INVALID: { status: 400, title: 'Element value is invalid', retry: 'permanent' },
  URI_TOO_LONG: { status: 414, title: 'Request target too long', retry: 'permanent' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request header fields too large', retry: 'permanent' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type', retry: 'permanent' },
  RATE_LIMITED: { status: 429, title: 'Too many requests', retry: 'retryable' },
  UPLOAD_TIMEOUT: { status: 408, title: 'Upload idle or too slow', retry: 'retryable' },
  INSUFFICIENT_STORAGE: { status: 507, title: 'Not enough space in the spool', retry: 'retryable' },
  BUSY: { status: 503, title: 'Too many uploads at once', retry: 'retryable' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed', retry: 'permanent' },
  INTERNAL: { status: 500, title: 'Internal error', retry: 'retryable' },
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

  get retry(): RetryClass {
    return ErrorCodes[this.code].retry;
  }
}

export type RetryClass = 'retryable' | 'permanent';

/** Unknown errors (I/O, a crashed tool) count as retryable: evidence is never given up on a guess. */
export function retryClassOf(err: unknown): RetryClass {
  return err instanceof SealdockError ? err.retry : 'retryable';
}

export function isSealdockError(err: unknown, code?: ErrorCode): err is SealdockError {
  return err instanceof SealdockError && (code === undefined || err.code === code);
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
