import type { FastifyBaseLogger, FastifyError } from 'fastify';
import { constraintError, databaseFault, pgCode } from './db/pg-errors.js';
import { AppError, ErrorCode, errorBody, ModelUnavailableError } from './errors.js';
import { rootMessage } from './observability/logger.js';

// Seconds a client is told to wait after a 503: the API recovers within 5 s of the database's return.
const DATABASE_RETRY_AFTER_S = 5;
// The provider failed after its retries : a client may try again shortly.
const MODEL_RETRY_AFTER_S = 5;

/** The status, body and Retry-After of any error a request can end with. */
export function toErrorReply(
  err: FastifyError,
  log: FastifyBaseLogger,
): { body: ReturnType<typeof errorBody>; retryAfter?: number } {
  if (err instanceof AppError)
    return { body: errorBody(err.statusCode, err.message, err.code), retryAfter: err.retryAfterSeconds };
  if (err.validation) return { body: errorBody(400, err.message, ErrorCode.VALIDATION_FAILED) };
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return { body: errorBody(413, 'body: over the limit of 256 KiB', ErrorCode.PAYLOAD_TOO_LARGE) };
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return { body: errorBody(415, err.message, ErrorCode.UNSUPPORTED_MEDIA_TYPE) };
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
    return { body: errorBody(err.statusCode, err.message, ErrorCode.BAD_REQUEST) };
  const fault = databaseFault(err);
  if (fault) {
    // The driver's reason (connect ECONNREFUSED, terminating connection...), not drizzle's message, which
    // carries the statement and its parameters (a user's question); an expected condition: no stack.
    log.warn({ reason: rootMessage(err), code: pgCode(err) }, 'database fault');
    const message = fault === 'timeout' ? 'database statement timed out' : 'database unavailable';
    const code = fault === 'timeout' ? ErrorCode.DATABASE_TIMEOUT : ErrorCode.DATABASE_UNAVAILABLE;
    return { body: errorBody(503, message, code), retryAfter: DATABASE_RETRY_AFTER_S };
  }
  if (err instanceof ModelUnavailableError) {
    log.warn({ reason: err.message }, 'model unavailable');
    return { body: errorBody(503, 'model unavailable', ErrorCode.MODEL_UNAVAILABLE), retryAfter: MODEL_RETRY_AFTER_S };
  }
  const violation = constraintError(err);
  if (violation) return { body: errorBody(violation.statusCode, violation.message, violation.code) };
  // Anything else, SQL errors included, is our fault: logged with its cause, answered without it.
  log.error({ err }, 'request failed');
  return { body: errorBody(500, 'internal error', ErrorCode.INTERNAL) };
}
