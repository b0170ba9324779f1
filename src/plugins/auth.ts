import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findLiveApiKey, touchApiKey } from '../db/queries/api-keys.js';
import { hashMatches, keyPrefix } from '../auth/api-keys.js';
import { AppError, ErrorCode, forbidden, tooManyRequests, unauthorized } from '../errors.js';
import { errorFields } from '../observability/logger.js';

declare module 'fastify' {
  interface FastifyInstance {
    authFailures: ReturnType<typeof authFailureGuard>;
  }
  interface FastifyRequest {
    /** The project the X-API-KEY belongs to; set on every project-scoped route. */
    project: { id: string; keyPrefix: string };
  }
}

// last_used_at is written at most once a minute per key and process: a write per request would make
// one hot row the bottleneck of the chat endpoint.
const TOUCH_EVERY_MS = 60_000;
const MINUTE_MS = 60_000;

/**
 * Failed authentications per client address (AUTH_FAILURES_PER_MINUTE). Once over the limit, every
 * authenticated request from that address is refused with 429 until its minute ends, without touching
 * the database: a client flooding us with bad keys costs nothing, and guessing gets nowhere.
 */
export function authFailureGuard(app: FastifyInstance) {
  const failures = app.createRateLimit({
    max: app.config.AUTH_FAILURES_PER_MINUTE,
    timeWindow: MINUTE_MS,
    keyGenerator: (r) => r.ip,
  });
  return {
    async check(request: FastifyRequest): Promise<void> {
      const status = await failures(request, { increment: false });
      if (!status.isAllowed && status.remaining <= 0) {
        throw tooManyRequests(
          ErrorCode.TOO_MANY_AUTH_FAILURES,
          'too many failed authentications from this address',
          status.ttlInSeconds,
        );
      }
    },
    async failed(request: FastifyRequest): Promise<void> {
      await failures(request);
    },
  };
}

/**
 * X-API-KEY authentication for routes under /projects/:project_id, and the key's rate limit
 * (RATE_LIMIT_PER_MINUTE). Runs before validation, so a bad key is a 401 and another project's URL is a
 * 403 whatever else is wrong with the request.
 */
export function apiKeyAuth(app: FastifyInstance) {
  const touched = new Map<string, number>();
  const guard = app.authFailures;
  const perKey = app.createRateLimit({
    max: app.config.RATE_LIMIT_PER_MINUTE,
    timeWindow: MINUTE_MS,
    keyGenerator: (r) => r.project.keyPrefix,
  });

  return async function authenticate(request: FastifyRequest, reply: FastifyReply) {
    await guard.check(request);
    const key = request.headers['x-api-key'];
    const prefix = typeof key === 'string' ? keyPrefix(key) : null;
    const row = prefix ? await findLiveApiKey(app.db, prefix) : null;
    if (!row || !hashMatches(key as string, row.keyHash)) {
      await guard.failed(request);
      throw unauthorized();
    }
    const { project_id } = request.params as { project_id?: string };
    if (project_id?.toLowerCase() !== row.projectId) throw forbidden();
    request.project = { id: row.projectId, keyPrefix: prefix! };

    const limit = await perKey(request);
    if (!limit.isAllowed) {
      reply.header('x-ratelimit-limit', limit.max);
      reply.header('x-ratelimit-remaining', Math.max(0, limit.remaining));
      reply.header('x-ratelimit-reset', limit.ttlInSeconds);
      if (limit.isExceeded) {
        throw tooManyRequests(
          ErrorCode.RATE_LIMITED,
          `rate limit of ${limit.max} requests a minute for this API key exceeded`,
          limit.ttlInSeconds,
        );
      }
    }

    const now = Date.now();
    if (now - (touched.get(row.id) ?? 0) > TOUCH_EVERY_MS) {
      touched.set(row.id, now);
      touchApiKey(app.db, row.id).catch((err) => request.log.warn(errorFields(err), 'could not record API key use'));
    }
  };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/**
 * The onRequest hook of the back office: Authorization: Bearer $ADMIN_TOKEN, compared in constant time, with
 * the same guard against repeated failures as API keys; a 403 for everything while no token is set.
 */
export function adminTokenAuth(app: FastifyInstance, adminToken: string | undefined) {
  const expected = adminToken ? sha256(adminToken) : null;
  return async function authenticateAdmin(request: FastifyRequest) {
    if (!expected)
      throw new AppError(403, ErrorCode.ADMIN_DISABLED, 'the admin API is disabled: set ADMIN_TOKEN to enable it');
    await app.authFailures.check(request);
    const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
    // Hashing both sides gives equal lengths, so the comparison is constant-time.
    if (!match || !timingSafeEqual(sha256(match[1]), expected)) {
      await app.authFailures.failed(request);
      throw unauthorized('missing or invalid admin token');
    }
  };
}
