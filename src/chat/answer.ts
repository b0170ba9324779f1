// A chat's two steps around the model call, shared by the JSON and the streaming routes: the prompt (with
// the thread's earlier turns for a follow-up) and storing the question-answer once the answer is complete.
import type { Db } from '../db/client.js';
import { appendQuestionAnswer, type threadWrites } from '../db/queries/chat-write.js';
import { getConversation } from '../db/queries/threads.js';
import type { Prompt, Usage } from '../models/llm.js';
import { buildPrompt, relevantSources, type RelevantSource } from '../models/rag.js';
import type { Retriever } from '../models/retriever.js';

/** A question of a project, in a new thread or a follow-up. */
export type Ask = { projectId: string; question: string; threadId?: string };

/** What the model is asked, and the documents its answer cites. */
export type Grounded = { prompt: Prompt; sources: RelevantSource[] };

/**
 * The RAG prompt of a question and the sources it cites; null for a thread_id the project does not have.
 * The model is asked even when nothing relevant was retrieved: the prompt then holds no excerpt and asks for
 * the answer that the documentation does not cover the question (which the stand-in gives), and cites nothing.
 */
export async function conversation(
  deps: { db: Db; retriever: Retriever },
  { projectId, question, threadId }: Ask,
): Promise<Grounded | null> {
  const history = threadId ? await getConversation(deps.db, { projectId, threadId }) : [];
  if (!history) return null;
  const chunks = await deps.retriever.retrieve(projectId, question);
  return { prompt: buildPrompt(question, chunks, history), sources: relevantSources(chunks) };
}

/**
 * Stores the question-answer with its sources: a new thread with its classification job (group-committed),
 * or a follow-up. Null when the thread of a follow-up is gone.
 */
export async function saveAnswer(
  deps: { db: Db; threadWrites: ReturnType<typeof threadWrites> },
  { projectId, question, threadId }: Ask,
  answer: { text: string; usage: Usage; sources: RelevantSource[] },
): Promise<{ threadId: string; questionAnswerId: string } | null> {
  const qa = { projectId, question, answer: answer.text, usage: answer.usage, relevantSources: answer.sources };
  if (!threadId) return deps.threadWrites.add(qa);
  const questionAnswerId = await appendQuestionAnswer(deps.db, { ...qa, threadId });
  return questionAnswerId ? { threadId, questionAnswerId } : null;
}
