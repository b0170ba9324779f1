import type { Task } from 'graphile-worker';
import { Type } from '@sinclair/typebox';
import { pendingDelivery, recordAttempt } from '../src/db/queries/webhooks.js';
import { attempt, signedHeaders } from '../src/webhooks/delivery.js';
import { webhookBody } from '../src/schemas/webhooks.js';
import { RetryLater } from '../src/errors.js';
import type { TaskDeps } from '../src/jobs/task.js';
import { task } from '../src/jobs/task.js';

const Payload = Type.Object({ delivery_id: Type.String({ format: 'uuid' }) });

/**
 * One event to one webhook (the job is added with the change, by the triggers of migration 0008): a signed
 * POST; a 2xx delivers it, anything else (or no answer within WEBHOOK_TIMEOUT_MS, 10 s) is retried by graphile-worker's backoff
 * until the job's last attempt, which marks it failed. A refused address fails it at once. A delivery whose
 * webhook was deleted is gone, and nothing is sent. Each failed attempt records why, in words, and is one
 * warning line (the RetryLater thrown for a retry is not logged again, see workerLogger).
 */
export function deliverWebhook({ db, log, config }: Pick<TaskDeps, 'db' | 'log' | 'config'>): Task {
  return task(Payload, log, async (payload, { helpers, log: jobLog }) => {
    const delivery = await pendingDelivery(db, { deliveryId: payload.delivery_id });
    if (!delivery) return;
    const body = webhookBody({
      eventId: delivery.eventId,
      type: delivery.type,
      createdAt: delivery.createdAt,
      thread: delivery.thread,
    });
    const result = await attempt({
      url: delivery.url,
      headers: signedHeaders(delivery.secret, delivery.eventId, body),
      body,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
    });
    const deliveryId = payload.delivery_id;
    if (result.delivered)
      return recordAttempt(db, { deliveryId, responseStatus: result.status, error: null, outcome: 'delivered' });
    const final = result.refused || helpers.job.attempts >= helpers.job.max_attempts;
    await recordAttempt(db, {
      deliveryId,
      responseStatus: result.status,
      error: result.error,
      outcome: final ? 'failed' : 'pending',
    });
    // Never the URL: it is the customer's, and may have carried credentials before they were refused.
    jobLog.warn(
      { webhook_id: delivery.webhookId, event_id: delivery.eventId, reason: result.error, retried: !final },
      final ? 'webhook delivery failed for good' : 'webhook delivery failed, retried later',
    );
    if (!final) throw new RetryLater(result.error!);
  });
}
