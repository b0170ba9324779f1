import type { Task } from 'graphile-worker';
import { Type } from '@sinclair/typebox';
import { pendingDelivery, recordAttempt } from '../src/db/queries/webhooks.js';
import { AddressRefused, post, signedHeaders } from '../src/lib/webhooks.js';
import { webhookBody } from '../src/schemas/webhooks.js';
import { RetryLater } from '../src/lib/logger.js';
import type { TaskDeps } from './index.js';
import { task } from './task.js';

const Payload = Type.Object({ delivery_id: Type.String({ format: 'uuid' }) });

/**
 * One event to one webhook (the job is added with the change, by the triggers of migration 0008): a signed
 * POST; a 2xx delivers it, anything else (or no answer within WEBHOOK_TIMEOUT_MS, 10 s) is retried by graphile-worker's backoff
 * until the job's last attempt, which marks it failed. A refused address fails it at once. A delivery whose
 * webhook was deleted is gone, and nothing is sent.
 */
export function deliverWebhook({ db, log, config }: Pick<TaskDeps, 'db' | 'log' | 'config'>): Task {
  return task(Payload, log, async (payload, { helpers, log: jobLog }) => {
    const delivery = await pendingDelivery(db, { deliveryId: payload.delivery_id });
    if (!delivery) return;
    const body = webhookBody({ eventId: delivery.event_id, type: delivery.type, createdAt: delivery.created_at, thread: delivery.thread });
    const last = helpers.job.attempts >= helpers.job.max_attempts;
    let status: number | null = null;
    try {
      status = await post({
        url: delivery.url,
        headers: signedHeaders(delivery.secret, delivery.event_id, body),
        body,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
      });
    } catch (err) {
      if (err instanceof AddressRefused) {
        jobLog.warn({ reason: err.message }, 'webhook address refused: delivery failed');
        return recordAttempt(db, { deliveryId: payload.delivery_id, responseStatus: null, outcome: 'failed' });
      }
      await recordAttempt(db, { deliveryId: payload.delivery_id, responseStatus: null, outcome: last ? 'failed' : 'pending' });
      if (last) return;
      throw new RetryLater(`webhook unreachable: ${(err as Error).message}`);
    }
    const delivered = status >= 200 && status < 300;
    await recordAttempt(db, { deliveryId: payload.delivery_id, responseStatus: status, outcome: delivered ? 'delivered' : last ? 'failed' : 'pending' });
    if (!delivered && !last) throw new RetryLater(`webhook answered ${status}`);
  });
}
