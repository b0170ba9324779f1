CREATE TABLE "page_concepts" (
	"document_id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"concept" real[] NOT NULL
);
--> statement-breakpoint
ALTER TABLE "search_terms" ADD COLUMN "concept" real[];--> statement-breakpoint
ALTER TABLE "page_concepts" ADD CONSTRAINT "page_concepts_document_id_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "page_concepts" ADD CONSTRAINT "page_concepts_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "page_concepts_project_id_idx" ON "page_concepts" USING btree ("project_id");