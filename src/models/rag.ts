import type { Message } from './llm.js';
import type { RetrievedChunk } from './retriever.js';

export type Turn = {
  question: string;
  answer: string;
};

const INSTRUCTIONS =
  'You are a documentation assistant. Answer the question using only the documentation excerpts below. ' +
  'If they do not contain the answer, say so. Be concise and include commands or settings where useful.';

/**
 * The RAG prompt as chat messages: the instructions and the retrieved chunks (system), the conversation so
 * far for a follow-up (user and assistant turns), then the question.
 */
export function buildMessages(question: string, chunks: RetrievedChunk[], history: Turn[] = []): Message[] {
  const documentation = chunks
    .map((c, i) => `[${i + 1}] ${c.title} › ${c.section} (${c.url ?? 'no URL'})\n${c.body}`)
    .join('\n');
  return [
    { role: 'system', content: `${INSTRUCTIONS}\n\nDocumentation:\n${documentation}` },
    ...history.flatMap((turn): Message[] => [
      { role: 'user', content: turn.question },
      { role: 'assistant', content: turn.answer },
    ]),
    { role: 'user', content: question },
  ];
}
