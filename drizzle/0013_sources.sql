-- btree_gin lets one GIN index hold the project and the words: a search reads its own project's postings only.
CREATE EXTENSION IF NOT EXISTS btree_gin;--> statement-breakpoint
CREATE TYPE "public"."document_status" AS ENUM('queued', 'indexed', 'failed', 'skipped');--> statement-breakpoint
CREATE TYPE "public"."source_refresh" AS ENUM('daily', 'weekly', 'never');--> statement-breakpoint
CREATE TYPE "public"."source_status" AS ENUM('queued', 'running', 'ready', 'failed');--> statement-breakpoint
CREATE TYPE "public"."source_type" AS ENUM('website', 'files');--> statement-breakpoint
CREATE TABLE "chunks" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "chunks_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"project_id" uuid NOT NULL,
	"source_id" uuid NOT NULL,
	"document_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"title" text NOT NULL,
	"section" text NOT NULL,
	"url" text,
	"body" text NOT NULL,
	"tsv" "tsvector" DEFAULT ''::tsvector NOT NULL
);
--> statement-breakpoint
CREATE TABLE "documents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"path" text NOT NULL,
	"url" text,
	"title" text,
	"status" "document_status" DEFAULT 'queued' NOT NULL,
	"reason" text,
	"content_type" text,
	"content" text,
	"content_hash" text,
	"etag" text,
	"last_modified" text,
	"chunks" integer DEFAULT 0 NOT NULL,
	"crawl_id" uuid,
	"checked_crawl_id" uuid,
	"links" text[],
	"indexed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "search_stats" (
	"project_id" uuid PRIMARY KEY NOT NULL,
	"chunks" integer NOT NULL,
	"avg_length" real NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "search_terms" (
	"project_id" uuid NOT NULL,
	"lexeme" text NOT NULL,
	"df" integer NOT NULL,
	CONSTRAINT "search_terms_project_id_lexeme_pk" PRIMARY KEY("project_id","lexeme")
);
--> statement-breakpoint
CREATE TABLE "sources" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"type" "source_type" NOT NULL,
	"name" text NOT NULL,
	"url" text,
	"include" text[] DEFAULT '{}' NOT NULL,
	"exclude" text[] DEFAULT '{}' NOT NULL,
	"max_pages" integer DEFAULT 5000 NOT NULL,
	"refresh" "source_refresh" DEFAULT 'weekly' NOT NULL,
	"status" "source_status" DEFAULT 'queued' NOT NULL,
	"error" text,
	"crawl_id" uuid,
	"robots" text,
	"crawl_started_at" timestamp with time zone,
	"last_refreshed_at" timestamp with time zone,
	"next_refresh_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "question_answers" ADD COLUMN "relevant_sources" jsonb;--> statement-breakpoint
ALTER TABLE "chunks" ADD CONSTRAINT "chunks_document_id_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_stats" ADD CONSTRAINT "search_stats_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_terms" ADD CONSTRAINT "search_terms_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sources" ADD CONSTRAINT "sources_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "chunks_project_tsv_idx" ON "chunks" USING gin ("project_id","tsv");--> statement-breakpoint
CREATE INDEX "chunks_document_id_idx" ON "chunks" USING btree ("document_id");--> statement-breakpoint
CREATE UNIQUE INDEX "documents_source_path_key" ON "documents" USING btree ("source_id","path");--> statement-breakpoint
CREATE INDEX "documents_source_status_idx" ON "documents" USING btree ("source_id","status","id");--> statement-breakpoint
CREATE INDEX "documents_source_crawl_idx" ON "documents" USING btree ("source_id","crawl_id");--> statement-breakpoint
CREATE INDEX "sources_project_id_idx" ON "sources" USING btree ("project_id","created_at");--> statement-breakpoint
CREATE INDEX "sources_next_refresh_idx" ON "sources" USING btree ("next_refresh_at") WHERE "sources"."deleted_at" is null;--> statement-breakpoint
-- A chunk's words weighted by place: the document's title (A), the section's heading path (B), the text (D).
-- Computed on insert unless the insert brings them (a copy of an indexed chunk). Chunks are replaced, never
-- updated.
CREATE FUNCTION chunks_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.tsv = ''::tsvector THEN
    NEW.tsv := setweight(to_tsvector('english', NEW.title), 'A')
      || setweight(to_tsvector('english', NEW.section), 'B')
      || setweight(to_tsvector('english', NEW.body), 'D');
  END IF;
  RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER chunks_tsv BEFORE INSERT ON chunks FOR EACH ROW EXECUTE FUNCTION chunks_tsv();--> statement-breakpoint
-- Ranking reads the words of every candidate: kept in the row (compressed), the text goes out of line first.
ALTER TABLE chunks ALTER COLUMN tsv SET STORAGE MAIN;
