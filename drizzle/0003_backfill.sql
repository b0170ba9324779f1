CREATE TABLE "classification_minutes" (
	"project_id" uuid NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"labelled" integer NOT NULL,
	CONSTRAINT "classification_minutes_project_id_minute_pk" PRIMARY KEY("project_id","minute")
);
--> statement-breakpoint
DROP INDEX "threads_unlabelled_due_idx";--> statement-breakpoint
ALTER TABLE "classification_minutes" ADD CONSTRAINT "classification_minutes_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "question_answers_project_created_idx" ON "question_answers" USING btree ("project_id","created_at");--> statement-breakpoint
CREATE INDEX "threads_unlabelled_due_idx" ON "threads" USING btree ("classification_due_at","id") WHERE "threads"."category_id" is null;