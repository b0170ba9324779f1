CREATE INDEX "threads_unlabelled_hour_idx" ON "threads" USING btree ("project_id",date_trunc('hour', "created_at", 'UTC') desc,"created_at" desc,"id" desc) WHERE coalesce("threads"."category_id", '00000000-0000-0000-0000-000000000000'::uuid) = '00000000-0000-0000-0000-000000000000'::uuid;--> statement-breakpoint
CREATE INDEX "thread_counts_unlabelled_idx" ON "thread_counts" USING btree ("project_id","hour") WHERE "thread_counts"."category_id" is null;--> statement-breakpoint
-- The triggers on threads hand their effect on the counts to thread_counts_add, which decides where it goes.
-- A small change (the chat's new threads, a label, a batch of a backfill) is appended to thread_count_deltas:
-- insert-only, so concurrent writers never wait on a shared counter row. A bulk statement (a seed, a relabel
-- in one UPDATE, a category's threads cleared) touches thousands of (hour, label) keys at once: appended,
-- each such statement would leave thousands of rows the time series must sum until the next compaction, so
-- it folds its counts into thread_counts itself, in key order (the compaction's order: no deadlock with it).
-- Bulk statements are rare, so the row locks they take are rarely waited on.
CREATE FUNCTION "thread_counts_add"("d" thread_count_deltas[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	emptied json;
BEGIN
	IF cardinality(d) >= 2000 THEN
		-- A project deleted meanwhile is dropped (its thread_counts rows went with it), as the compaction does.
		WITH folded AS (
			INSERT INTO thread_counts AS c (project_id, hour, category_id, threads)
			SELECT x.project_id, x.hour, x.category_id, x.threads FROM unnest(d) x JOIN projects p ON p.id = x.project_id
			ORDER BY 1, 2, 3
			ON CONFLICT ON CONSTRAINT thread_counts_key DO UPDATE SET threads = c.threads + excluded.threads
			RETURNING c.project_id, c.hour, c.category_id, c.threads
		)
		SELECT json_agg(f) INTO emptied FROM folded f WHERE f.threads = 0;
		IF emptied IS NOT NULL THEN
			DELETE FROM thread_counts c USING json_to_recordset(emptied) AS e (project_id uuid, hour timestamptz, category_id uuid)
			WHERE c.project_id = e.project_id AND c.hour = e.hour AND c.category_id IS NOT DISTINCT FROM e.category_id
				AND c.threads = 0;
		END IF;
	ELSIF cardinality(d) > 0 THEN
		INSERT INTO thread_count_deltas (project_id, hour, category_id, threads)
		SELECT x.project_id, x.hour, x.category_id, x.threads FROM unnest(d) x;
		-- Many deltas at once (a backfill's batches): fold them within seconds rather than at the next
		-- minute, so they never pile up. The key merges these requests into the one queued job.
		IF cardinality(d) >= 200 THEN
			PERFORM graphile_worker.add_job('thread_counts__compact', '{}'::json,
				run_at := now() + interval '2 seconds', job_key := 'thread_counts_compact_soon',
				job_key_mode := 'preserve_run_at');
		END IF;
	END IF;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "thread_counts_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM thread_counts_add(array(
		SELECT row(project_id, date_trunc('hour', created_at, 'UTC'), category_id, count(*)::int)::thread_count_deltas
		FROM new_threads GROUP BY project_id, date_trunc('hour', created_at, 'UTC'), category_id));
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "thread_counts_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM thread_counts_add(array(
		WITH moved AS (
			SELECT o.project_id AS old_project_id, o.created_at AS old_created_at, o.category_id AS old_category_id,
				n.project_id, n.created_at, n.category_id
			FROM old_threads o JOIN new_threads n ON n.id = o.id
			WHERE (o.project_id, o.created_at, o.category_id) IS DISTINCT FROM (n.project_id, n.created_at, n.category_id)
		)
		SELECT row(project_id, hour, category_id, sum(threads)::int)::thread_count_deltas FROM (
			SELECT old_project_id, date_trunc('hour', old_created_at, 'UTC'), old_category_id, -1 FROM moved
			UNION ALL
			SELECT project_id, date_trunc('hour', created_at, 'UTC'), category_id, 1 FROM moved
		) d (project_id, hour, category_id, threads)
		GROUP BY project_id, hour, category_id HAVING sum(threads) <> 0));
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "thread_counts_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM thread_counts_add(array(
		SELECT row(project_id, date_trunc('hour', created_at, 'UTC'), category_id, -count(*)::int)::thread_count_deltas
		FROM old_threads GROUP BY project_id, date_trunc('hour', created_at, 'UTC'), category_id));
	RETURN NULL;
END $$;
--> statement-breakpoint
-- Room on every page for the next versions of its rows: the folds and the compaction update the same rows
-- over and over, and an update that stays on its page (HOT) adds no index entry. Otherwise each leaves one
-- more dead entry per row in the indexes until VACUUM, which the threads list's walk over an hour's
-- unlabelled counts (thread_counts_unlabelled_idx) would step over.
ALTER TABLE "thread_counts" SET (fillfactor = 50);
