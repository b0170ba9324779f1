import { STATUS_CODES } from 'node:http';

/** Every machine-readable error code the API answers with, in one list. */
export const ErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  INVALID_CURSOR: 'INVALID_CURSOR',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  ADMIN_DISABLED: 'ADMIN_DISABLED',
  NOT_FOUND: 'NOT_FOUND',
  ROUTE_NOT_FOUND: 'ROUTE_NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  RATE_LIMITED: 'RATE_LIMITED',
  TOO_MANY_AUTH_FAILURES: 'TOO_MANY_AUTH_FAILURES',
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
  DATABASE_TIMEOUT: 'DATABASE_TIMEOUT',
  MODEL_UNAVAILABLE: 'MODEL_UNAVAILABLE',
  OVERLOADED: 'OVERLOADED',
  REPORTS_FAILED: 'REPORTS_FAILED',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A domain error: the one error handler turns it into {statusCode, error, message, code}. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    opts: { cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, { cause: opts.cause });
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
  /** Sent as Retry-After (429, 503). */
  readonly retryAfterSeconds?: number;
}

/** The one error body of every route. */
export const errorBody = (statusCode: number, message: string, code?: string) => ({
  statusCode,
  error: STATUS_CODES[statusCode] ?? 'Error',
  message,
  ...(code && { code }),
});

export const badRequest = (message: string, code: ErrorCode = ErrorCode.BAD_REQUEST) =>
  new AppError(400, code, message);
export const unauthorized = (message = 'missing or invalid API key') =>
  new AppError(401, ErrorCode.UNAUTHORIZED, message);
export const forbidden = (message = 'this API key does not give access to this project') =>
  new AppError(403, ErrorCode.FORBIDDEN, message);
export const notFound = (what: string) => new AppError(404, ErrorCode.NOT_FOUND, `${what} not found`);
export const conflict = (message: string) => new AppError(409, ErrorCode.CONFLICT, message);
export const tooManyRequests = (code: ErrorCode, message: string, retryAfterSeconds: number) =>
  new AppError(429, code, message, { retryAfterSeconds });
export const unavailable = (code: ErrorCode, message: string, retryAfterSeconds: number, cause?: unknown) =>
  new AppError(503, code, message, { retryAfterSeconds, cause });

/** The model provider failed after its retries (or cannot be retried): a request answers 503 "model unavailable". */
export class ModelUnavailableError extends Error {}

/**
 * A job's expected failure, retried by graphile-worker's backoff (a webhook endpoint that answered 500). The
 * task has already logged it as a warning: graphile-worker's own "Failed task" line (which carries the stack
 * in its text) is then only a debug line, without the stack.
 */
export class RetryLater extends Error {}
