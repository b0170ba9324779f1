CREATE TABLE "sent_reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"digest_interval" "digest_interval" NOT NULL,
	"period_start" date NOT NULL,
	"period_end" date NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"message_id" text,
	CONSTRAINT "sent_reports_user_period_key" UNIQUE("user_id","period_start","digest_interval")
);
--> statement-breakpoint
ALTER TABLE "sent_reports" ADD CONSTRAINT "sent_reports_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sent_reports_pending_idx" ON "sent_reports" USING btree ("period_end") WHERE "sent_reports"."sent_at" is null;