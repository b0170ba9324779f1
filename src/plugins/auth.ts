import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findLiveApiKey, touchApiKey } from '../db/queries/api-keys.js';
import { hashMatches, keyPrefix } from '../lib/api-keys.js';
import { forbidden, unauthorized } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The project the X-API-KEY belongs to; set on every project-scoped route. */
    project: { id: string; keyPrefix: string };
  }
}

// last_used_at is written at most once a minute per key and process: a write per request would make
// one hot row the bottleneck of the chat endpoint.
const TOUCH_EVERY_MS = 60_000;

/**
 * X-API-KEY authentication for routes under /projects/:project_id. Runs before validation, so a bad key
 * is a 401 and another project's URL is a 403 whatever else is wrong with the request.
 */
export function apiKeyAuth(app: FastifyInstance) {
  const touched = new Map<string, number>();

  return async function authenticate(request: FastifyRequest) {
    const key = request.headers['x-api-key'];
    const prefix = typeof key === 'string' ? keyPrefix(key) : null;
    if (!prefix) throw unauthorized();
    const row = await findLiveApiKey(app.db, prefix);
    if (!row || !hashMatches(key as string, row.keyHash)) throw unauthorized();
    const { project_id } = request.params as { project_id?: string };
    if (project_id?.toLowerCase() !== row.projectId) throw forbidden();
    request.project = { id: row.projectId, keyPrefix: prefix };

    const now = Date.now();
    if (now - (touched.get(row.id) ?? 0) > TOUCH_EVERY_MS) {
      touched.set(row.id, now);
      touchApiKey(app.db, row.id).catch((err) => request.log.warn({ err }, 'could not record API key use'));
    }
  };
}
