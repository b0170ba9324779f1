import type { Chunk } from './retriever.js';

export type Turn = {
  question: string;
  answer: string;
};

const INSTRUCTIONS =
  'You are a documentation assistant. Answer the question using only the documentation excerpts below. ' +
  'If they do not contain the answer, say so. Be concise and include commands or settings where useful.';

/** One prompt: instructions, the retrieved chunks and, for a follow-up, the conversation so far. */
export function buildPrompt(question: string, chunks: Chunk[], history: Turn[] = []): string {
  const parts = [INSTRUCTIONS, '', 'Documentation:'];
  chunks.forEach((c, i) => parts.push(`[${i + 1}] (${c.source}) ${c.text}`));
  if (history.length > 0) {
    parts.push('', 'Conversation so far:');
    for (const turn of history) parts.push(`User: ${turn.question}`, `Assistant: ${turn.answer}`);
  }
  parts.push('', `Question: ${question}`, 'Answer:');
  return parts.join('\n');
}
