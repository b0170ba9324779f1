CREATE TABLE "worker_heartbeats" (
	"worker_id" text PRIMARY KEY NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "teams" ADD COLUMN "deleted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "deleted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "error" text;--> statement-breakpoint
ALTER TABLE "webhooks" ADD COLUMN "enabled" boolean DEFAULT true NOT NULL;--> statement-breakpoint
-- A disabled webhook gets no new events (SPEC §11: PATCH .../webhooks/{id} {enabled}).
CREATE OR REPLACE FUNCTION "webhook_events_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ids uuid[];
BEGIN
	WITH events AS (
		INSERT INTO webhook_deliveries (webhook_id, type, thread)
		SELECT w.id, 'thread.created', webhook_thread(n) FROM new_threads n
		JOIN webhooks w ON w.project_id = n.project_id AND w.enabled AND 'thread.created' = ANY (w.events)
		RETURNING id
	)
	SELECT array_agg(id) INTO ids FROM events;
	IF ids IS NOT NULL THEN PERFORM webhook_jobs(ids); END IF;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "webhook_events_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ids uuid[];
BEGIN
	WITH events AS (
		INSERT INTO webhook_deliveries (webhook_id, type, thread)
		SELECT w.id, 'thread.labelled', webhook_thread(n) FROM new_threads n
		JOIN old_threads o ON o.id = n.id
		JOIN webhooks w ON w.project_id = n.project_id AND w.enabled AND 'thread.labelled' = ANY (w.events)
		WHERE (o.category_id, o.category_source) IS DISTINCT FROM (n.category_id, n.category_source)
		RETURNING id
	)
	SELECT array_agg(id) INTO ids FROM events;
	IF ids IS NOT NULL THEN PERFORM webhook_jobs(ids); END IF;
	RETURN NULL;
END $$;
