CREATE TYPE "public"."category_source" AS ENUM('classifier', 'user');--> statement-breakpoint
CREATE TABLE "categories" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "categories_project_id_id_key" UNIQUE("project_id","id")
);
--> statement-breakpoint
ALTER TABLE "threads" ADD COLUMN "category_id" uuid;--> statement-breakpoint
ALTER TABLE "threads" ADD COLUMN "category_source" "category_source";--> statement-breakpoint
ALTER TABLE "threads" ADD COLUMN "categorized_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "threads" ADD COLUMN "classification_due_at" timestamp with time zone DEFAULT '-infinity' NOT NULL;--> statement-breakpoint
ALTER TABLE "categories" ADD CONSTRAINT "categories_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "categories_project_name_key" ON "categories" USING btree ("project_id",lower("name"));--> statement-breakpoint
ALTER TABLE "threads" ADD CONSTRAINT "threads_project_category_fk" FOREIGN KEY ("project_id","category_id") REFERENCES "public"."categories"("project_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "threads_project_category_created_idx" ON "threads" USING btree ("project_id","category_id","created_at" desc,"id" desc);--> statement-breakpoint
CREATE INDEX "threads_project_source_created_idx" ON "threads" USING btree ("project_id","category_source","created_at" desc,"id" desc);--> statement-breakpoint
CREATE INDEX "threads_unlabelled_due_idx" ON "threads" USING btree ("classification_due_at") WHERE "threads"."category_id" is null;--> statement-breakpoint
-- Projects that exist before categorisation get the two default categories too (SPEC C7).
INSERT INTO "categories" ("project_id", "name", "description")
SELECT p."id", d."name", d."description"
FROM "projects" p
CROSS JOIN (VALUES
  ('Discovery', 'The user is trying to find out how to do something, e.g. "What are the system requirements for running the software?"'),
  ('Troubleshooting', 'The user needs help with a problem, e.g. "When I run your program my computer runs out of memory, what can I do?"')
) AS d("name", "description");
