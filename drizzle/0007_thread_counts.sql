CREATE TABLE "thread_count_deltas" (
	"project_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"category_id" uuid,
	"threads" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "thread_counts" (
	"project_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"category_id" uuid,
	"threads" integer NOT NULL,
	CONSTRAINT "thread_counts_key" UNIQUE NULLS NOT DISTINCT("project_id","hour","category_id")
);
--> statement-breakpoint
ALTER TABLE "thread_counts" ADD CONSTRAINT "thread_counts_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "thread_count_deltas_project_hour_idx" ON "thread_count_deltas" USING btree ("project_id","hour");--> statement-breakpoint
-- Every change to threads appends its effect on the counts per (project, UTC hour, label) to
-- thread_count_deltas, in the transaction of the change; one statement per statement, whatever its size.
CREATE FUNCTION "thread_counts_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO thread_count_deltas (project_id, hour, category_id, threads)
	SELECT project_id, date_trunc('hour', created_at, 'UTC'), category_id, count(*)::int
	FROM new_threads GROUP BY 1, 2, 3;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "thread_counts_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	WITH moved AS (
		SELECT o.project_id AS old_project_id, o.created_at AS old_created_at, o.category_id AS old_category_id,
			n.project_id, n.created_at, n.category_id
		FROM old_threads o JOIN new_threads n ON n.id = o.id
		WHERE (o.project_id, o.created_at, o.category_id) IS DISTINCT FROM (n.project_id, n.created_at, n.category_id)
	)
	INSERT INTO thread_count_deltas (project_id, hour, category_id, threads)
	SELECT project_id, hour, category_id, sum(threads)::int FROM (
		SELECT old_project_id, date_trunc('hour', old_created_at, 'UTC'), old_category_id, -1 FROM moved
		UNION ALL
		SELECT project_id, date_trunc('hour', created_at, 'UTC'), category_id, 1 FROM moved
	) d (project_id, hour, category_id, threads)
	GROUP BY 1, 2, 3 HAVING sum(threads) <> 0;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "thread_counts_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO thread_count_deltas (project_id, hour, category_id, threads)
	SELECT project_id, date_trunc('hour', created_at, 'UTC'), category_id, -count(*)::int
	FROM old_threads GROUP BY 1, 2, 3;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "thread_counts_truncated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM thread_count_deltas;
	DELETE FROM thread_counts;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "thread_counts_inserted" AFTER INSERT ON "threads" REFERENCING NEW TABLE AS new_threads
	FOR EACH STATEMENT EXECUTE FUNCTION thread_counts_inserted();
--> statement-breakpoint
CREATE TRIGGER "thread_counts_updated" AFTER UPDATE ON "threads" REFERENCING OLD TABLE AS old_threads NEW TABLE AS new_threads
	FOR EACH STATEMENT EXECUTE FUNCTION thread_counts_updated();
--> statement-breakpoint
CREATE TRIGGER "thread_counts_deleted" AFTER DELETE ON "threads" REFERENCING OLD TABLE AS old_threads
	FOR EACH STATEMENT EXECUTE FUNCTION thread_counts_deleted();
--> statement-breakpoint
CREATE TRIGGER "thread_counts_truncated" AFTER TRUNCATE ON "threads"
	FOR EACH STATEMENT EXECUTE FUNCTION thread_counts_truncated();
--> statement-breakpoint
-- The threads already there (creating the triggers locked out writers until this transaction commits).
INSERT INTO thread_counts (project_id, hour, category_id, threads)
SELECT project_id, date_trunc('hour', created_at, 'UTC'), category_id, count(*)::int FROM threads GROUP BY 1, 2, 3;
