ALTER TABLE "question_answers" ADD COLUMN "model" text;--> statement-breakpoint
ALTER TABLE "question_answers" ADD COLUMN "prompt_tokens" integer;--> statement-breakpoint
ALTER TABLE "question_answers" ADD COLUMN "completion_tokens" integer;--> statement-breakpoint
ALTER TABLE "question_answers" ADD COLUMN "latency_ms" integer;