// A chat's two steps around the model call, shared by the JSON and the streaming routes: the prompt (with
// the thread's earlier turns for a follow-up) and storing the question-answer once the answer is complete.
import type { Db } from '../db/client.js';
import { appendQuestionAnswer, type threadWrites } from '../db/queries/chat-write.js';
import { getConversation } from '../db/queries/threads.js';
import type { Message, Usage } from '../models/llm.js';
import { buildMessages } from '../models/rag.js';
import type { Retriever } from '../models/retriever.js';

/** A question of a project, in a new thread or a follow-up. */
export type Ask = { projectId: string; question: string; threadId?: string };

/** The RAG prompt of a question; null for a thread_id the project does not have. */
export async function conversation(
  deps: { db: Db; retriever: Retriever },
  { projectId, question, threadId }: Ask,
): Promise<Message[] | null> {
  const history = threadId ? await getConversation(deps.db, { projectId, threadId }) : [];
  if (!history) return null;
  const chunks = await deps.retriever.retrieve(projectId, question);
  return buildMessages(question, chunks, history);
}

/**
 * Stores the question-answer: a new thread with its classification job (group-committed), or a follow-up.
 * Null when the thread of a follow-up is gone.
 */
export async function saveAnswer(
  deps: { db: Db; threadWrites: ReturnType<typeof threadWrites> },
  { projectId, question, threadId }: Ask,
  answer: string,
  usage: Usage,
): Promise<{ threadId: string; questionAnswerId: string } | null> {
  if (!threadId) return deps.threadWrites.add({ projectId, question, answer, usage });
  const questionAnswerId = await appendQuestionAnswer(deps.db, { projectId, threadId, question, answer, usage });
  return questionAnswerId ? { threadId, questionAnswerId } : null;
}
