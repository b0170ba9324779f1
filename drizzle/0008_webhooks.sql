CREATE TYPE "public"."webhook_delivery_status" AS ENUM('pending', 'delivered', 'failed');--> statement-breakpoint
CREATE TYPE "public"."webhook_event" AS ENUM('thread.created', 'thread.labelled');--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"webhook_id" uuid NOT NULL,
	"event_id" text DEFAULT 'msg_' || replace(gen_random_uuid()::text, '-', '') NOT NULL,
	"type" "webhook_event" NOT NULL,
	"thread" jsonb NOT NULL,
	"status" "webhook_delivery_status" DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"response_status" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"url" text NOT NULL,
	"events" "webhook_event"[] NOT NULL,
	"description" text,
	"secret" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_webhook_created_idx" ON "webhook_deliveries" USING btree ("webhook_id","created_at");--> statement-breakpoint
CREATE INDEX "webhooks_project_id_idx" ON "webhooks" USING btree ("project_id");--> statement-breakpoint
-- A thread as a webhook event carries it: its row as the change left it, with its category (null if none).
CREATE FUNCTION "webhook_thread"(t threads) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT (to_jsonb(t) - 'classification_due_at') || jsonb_build_object('category', (
		SELECT jsonb_build_object('id', c.id, 'name', c.name, 'description', c.description)
		FROM categories c WHERE c.id = t.category_id AND c.project_id = t.project_id))
$$;
--> statement-breakpoint
-- One webhooks__deliver job per delivery, in one add_jobs call (22 attempts: graphile-worker's backoff of
-- e^min(attempt, 10) seconds spreads them over about 3.2 days).
CREATE FUNCTION "webhook_jobs"(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	PERFORM graphile_worker.add_jobs(array(
		SELECT ('webhooks__deliver', json_build_object('delivery_id', id), null, null, 22, null, 0, null)::graphile_worker.job_spec
		FROM unnest(ids) id));
END $$;
--> statement-breakpoint
CREATE FUNCTION "webhook_events_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ids uuid[];
BEGIN
	WITH events AS (
		INSERT INTO webhook_deliveries (webhook_id, type, thread)
		SELECT w.id, 'thread.created', webhook_thread(n) FROM new_threads n
		JOIN webhooks w ON w.project_id = n.project_id AND 'thread.created' = ANY (w.events)
		RETURNING id
	)
	SELECT array_agg(id) INTO ids FROM events;
	IF ids IS NOT NULL THEN PERFORM webhook_jobs(ids); END IF;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "webhook_events_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ids uuid[];
BEGIN
	WITH events AS (
		INSERT INTO webhook_deliveries (webhook_id, type, thread)
		SELECT w.id, 'thread.labelled', webhook_thread(n) FROM new_threads n
		JOIN old_threads o ON o.id = n.id
		JOIN webhooks w ON w.project_id = n.project_id AND 'thread.labelled' = ANY (w.events)
		WHERE (o.category_id, o.category_source) IS DISTINCT FROM (n.category_id, n.category_source)
		RETURNING id
	)
	SELECT array_agg(id) INTO ids FROM events;
	IF ids IS NOT NULL THEN PERFORM webhook_jobs(ids); END IF;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "webhook_events_inserted" AFTER INSERT ON "threads" REFERENCING NEW TABLE AS new_threads
	FOR EACH STATEMENT EXECUTE FUNCTION webhook_events_inserted();
--> statement-breakpoint
CREATE TRIGGER "webhook_events_updated" AFTER UPDATE ON "threads" REFERENCING OLD TABLE AS old_threads NEW TABLE AS new_threads
	FOR EACH STATEMENT EXECUTE FUNCTION webhook_events_updated();
