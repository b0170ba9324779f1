import { setTimeout as sleep } from 'node:timers/promises';
import type { RetrievedChunk } from './retriever.js';

/** What an answer says when the project's documentation holds nothing relevant to the question. */
export const NOT_COVERED = 'The documentation does not cover this question.';

export type Message = { role: 'system' | 'user' | 'assistant'; content: string };

/** What one answer cost: stored with its question-answer. */
export type Usage = { model: string; promptTokens: number; completionTokens: number; latencyMs: number };

/** What a model is asked: the messages it reads, with the question and the excerpts they number. */
export type Prompt = {
  messages: Message[];
  question: string;
  /** The documentation chunks numbered in the messages, best first. */
  excerpts: RetrievedChunk[];
};

export type Completion = { text: string; usage: Usage };

/**
 * A streamed answer: its pieces of text as the model produces them, then what the call cost. It exists once
 * the first piece has arrived, so a model that fails before that fails the call, not the stream.
 */
export type AnswerStream = AsyncGenerator<string, Usage>;

/** Generates an answer to a prompt (MODEL_PROVIDER: the stand-in, or an OpenAI-compatible API). */
export interface LlmClient {
  complete(prompt: Prompt): Promise<Completion>;
  /** The answer in pieces; `signal` aborts the call (the client went away). */
  stream(prompt: Prompt, signal: AbortSignal): Promise<AnswerStream>;
}

// The stand-in streams its answer in this many pieces.
const STREAM_PIECES = 4;

/**
 * Stand-in: waits LLM_LATENCY_MS, then answers extractively from the best excerpt (see `extractiveAnswer`),
 * or says that the documentation does not cover the question when the prompt has none; no tokens counted.
 */
export class StaticLlm implements LlmClient {
  constructor(private readonly latencyMs: number) {}

  async complete(prompt: Prompt): Promise<Completion> {
    const started = performance.now();
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    return { text: answerFor(prompt), usage: standInUsage(started) };
  }

  /** The same answer in a few pieces, the first after LLM_LATENCY_MS. */
  async stream(prompt: Prompt, signal: AbortSignal): Promise<AnswerStream> {
    const started = performance.now();
    if (this.latencyMs > 0) await sleep(this.latencyMs, undefined, { signal });
    const words = answerFor(prompt).split(/(?<= )/);
    const size = Math.ceil(words.length / STREAM_PIECES);
    return (async function* () {
      for (let i = 0; i < words.length; i += size) {
        signal.throwIfAborted();
        yield words.slice(i, i + size).join('');
        // Each piece in its own turn of the event loop, as a model's arrive.
        await sleep(0);
      }
      return standInUsage(started);
    })();
  }
}

// A best excerpt without text (an empty file) has nothing to answer from either.
const answerFor = ({ question, excerpts }: Prompt) =>
  (excerpts[0] && extractiveAnswer(question, excerpts[0].body)) || NOT_COVERED;

/** Sentences an answer quotes, at most. */
const MAX_SENTENCES = 3;

/**
 * The sentences of `text` that share the most words with the question, at most three, in their order in
 * the text (the first sentence when none shares a word: the text was retrieved for its headings).
 */
export function extractiveAnswer(question: string, text: string): string {
  const asked = wordsOf(question);
  const sentences = text
    .split(/\n\s*\n/)
    .flatMap((paragraph) => [...SENTENCES.segment(paragraph)].map((s) => s.segment.trim()))
    .filter((s) => s.length > 0);
  const scored = sentences.map((sentence, i) => ({
    i,
    shared: [...wordsOf(sentence)].filter((w) => asked.has(w)).length,
  }));
  const chosen = scored
    .filter((s) => s.shared > 0)
    .sort((a, b) => b.shared - a.shared || a.i - b.i)
    .slice(0, MAX_SENTENCES)
    .map((s) => s.i)
    .sort((a, b) => a - b);
  return (chosen.length ? chosen.map((i) => sentences[i]) : sentences.slice(0, 1)).join(' ');
}

const SENTENCES = new Intl.Segmenter('en', { granularity: 'sentence' });

// Words that say nothing of a question's subject.
const STOP_WORDS = new Set(
  'a an and are as at be by can do does for from how i if in is it me my no not of on or so than that the then there these this to was we what when where which who why will with you your'.split(
    ' ',
  ),
);

/** A text's words, lowercased and crudely stemmed (configure ~ configured ~ configuring), stop words left out. */
function wordsOf(text: string): Set<string> {
  const found = new Set<string>();
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? []) {
    if (!STOP_WORDS.has(w)) found.add(w.length > 4 ? w.replace(/(?:ing|ed|es|e|(?<!s)s)$/, '') : w);
  }
  return found;
}

const standInUsage = (started: number): Usage => ({
  model: 'stand-in',
  promptTokens: 0,
  completionTokens: 0,
  latencyMs: Math.round(performance.now() - started),
});
