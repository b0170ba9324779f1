import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { projects } from './projects.js';

export const webhookEvent = pgEnum('webhook_event', ['thread.created', 'thread.labelled']);

/** A project's endpoint for events. The secret signs every delivery; it is shown once. */
export const webhooks = pgTable(
  'webhooks',
  {
    id: uuid().primaryKey().defaultRandom(),
    projectId: uuid()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    url: text().notNull(),
    events: webhookEvent().array().notNull(),
    description: text(),
    secret: text().notNull(),
    // A disabled webhook keeps its secret and deliveries but gets no new events.
    enabled: boolean().notNull().default(true),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('webhooks_project_id_idx').on(t.projectId)],
);

export const deliveryStatus = pgEnum('webhook_delivery_status', ['pending', 'delivered', 'failed']);

/**
 * One event for one webhook, written with its webhooks__deliver job by triggers on threads (migration 0008)
 * in the transaction of the change. `thread` is the thread's row as the change left it (with its category),
 * so every attempt sends the same body. Deleted with its webhook.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid().primaryKey().defaultRandom(),
    webhookId: uuid()
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    // The body's id and the webhook-id header: the same on every attempt.
    eventId: text()
      .notNull()
      .default(sql`'msg_' || replace(gen_random_uuid()::text, '-', '')`),
    type: webhookEvent().notNull(),
    thread: jsonb().notNull(),
    status: deliveryStatus().notNull().default('pending'),
    attempts: integer().notNull().default(0),
    responseStatus: integer(),
    // Why the last attempt failed, in words ("HTTP 500", "timed out after 10 s"); null once delivered.
    error: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp({ withTimezone: true }),
  },
  (t) => [index('webhook_deliveries_webhook_created_idx').on(t.webhookId, t.createdAt)],
);
