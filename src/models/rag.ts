import { NOT_COVERED, type Message, type Prompt } from './llm.js';
import type { RetrievedChunk } from './retriever.js';

export type Turn = {
  question: string;
  answer: string;
};

/** A document an answer was built from, as the answer cites it. */
export type RelevantSource = { title: string; url: string | null };

/** Documents cited per answer, at most. */
const MAX_SOURCES = 5;

const INSTRUCTIONS =
  'You are a documentation assistant. Answer the question using only the numbered documentation excerpts below, ' +
  'and cite the excerpts you use by their number, like [1]. Do not answer from general knowledge: if the excerpts ' +
  `do not answer the question, or there are none, reply only "${NOT_COVERED}" ` +
  'Be concise and include commands or settings where useful.';

/** One excerpt of the prompt: its number, where it comes from, then its text. */
const excerpt = (c: RetrievedChunk, i: number) =>
  `[${i + 1}] ${c.title}\nSection: ${c.section || '(none)'}\nURL: ${c.url ?? '(none)'}\n${c.body}`;

/**
 * The RAG prompt: the instructions and the numbered chunks (system), the conversation so far for a
 * follow-up (user and assistant turns), then the question. The chunks travel with the messages, so a
 * model that does not read text (the stand-in) answers from the same excerpts.
 */
export function buildPrompt(question: string, chunks: RetrievedChunk[], history: Turn[] = []): Prompt {
  const documentation = chunks.length
    ? `Documentation excerpts:\n\n${chunks.map(excerpt).join('\n\n')}`
    : 'Documentation excerpts: none (the documentation holds nothing relevant to this question).';
  const messages: Message[] = [
    { role: 'system', content: `${INSTRUCTIONS}\n\n${documentation}` },
    ...history.flatMap((turn): Message[] => [
      { role: 'user', content: turn.question },
      { role: 'assistant', content: turn.answer },
    ]),
    { role: 'user', content: question },
  ];
  return { messages, question, excerpts: chunks };
}

/** The distinct documents of the prompt's chunks, best first, at most five: what the answer cites. */
export function relevantSources(chunks: RetrievedChunk[]): RelevantSource[] {
  const seen = new Set<string>();
  const sources: RelevantSource[] = [];
  for (const c of chunks) {
    if (seen.has(c.documentId)) continue;
    seen.add(c.documentId);
    sources.push({ title: c.title, url: c.url && documentUrl(c.url) });
    if (sources.length === MAX_SOURCES) break;
  }
  return sources;
}

/** A chunk's URL is its document's with the section's #anchor; a URL's fragment begins at its first "#". */
const documentUrl = (url: string) => url.split('#', 1)[0];
