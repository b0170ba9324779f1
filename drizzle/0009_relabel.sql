CREATE TYPE "public"."relabel_status" AS ENUM('running', 'done', 'cancelled');--> statement-breakpoint
CREATE TABLE "relabel_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"status" "relabel_status" DEFAULT 'running' NOT NULL,
	"total" integer NOT NULL,
	"done" integer,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "classification_batches" ADD COLUMN "relabel_run_id" uuid;--> statement-breakpoint
ALTER TABLE "relabel_runs" ADD CONSTRAINT "relabel_runs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "relabel_runs_one_running_key" ON "relabel_runs" USING btree ("project_id") WHERE "relabel_runs"."status" = 'running';--> statement-breakpoint
CREATE INDEX "relabel_runs_project_started_idx" ON "relabel_runs" USING btree ("project_id","started_at");--> statement-breakpoint
ALTER TABLE "classification_batches" ADD CONSTRAINT "classification_batches_relabel_run_id_relabel_runs_id_fk" FOREIGN KEY ("relabel_run_id") REFERENCES "public"."relabel_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "threads_classifier_labelled_idx" ON "threads" USING btree ("project_id","categorized_at","id") WHERE "threads"."category_source" = 'classifier';