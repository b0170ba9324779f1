// A documentation of many topics for the concept tests: each topic's pages use words of its own vocabulary
// (a fixed pseudo-random choice), so that words keep the company of their topic. There are more topics than
// concepts kept, as in a real manual, and the "temporary" topic, the largest, is among them. Some of its pages
// say "scratch"; one of them, the answer, never does.
import { seededRandom } from '../src/sources/concepts.js';

const TEMPORARY = [
  'scratch',
  'temporary',
  'tempfile',
  'cleanup',
  'removed',
  'automatically',
  'disposable',
  'transient',
];
const TOPICS = 60;
const WORDS_PER_TOPIC = 20;
const PAGES_PER_TOPIC = 6;
const WORDS_PER_PAGE = 10;
const letters = 'abcdefghijklmnopqrstuvwxyz';
/** A made-up word of a topic: "kbqa" is the topic "kb"'s first. */
const word = (topic: number, i: number) =>
  letters[topic % 26] + letters[Math.floor(topic / 26)] + letters[Math.floor(i / 26) + 16] + letters[i % 26];

export type CorpusPage = { title: string; topic: string; body: string };

/** Every topic's pages (the temporary topic has twice as many), then the answer: a page of it without "scratch". */
export function conceptCorpus(): { pages: CorpusPage[]; answer: string } {
  const random = seededRandom(7);
  const pages: CorpusPage[] = [];
  for (let t = 0; t < TOPICS; t++) {
    const topic = t === 0 ? 'temporary' : `topic ${t}`;
    const words = t === 0 ? TEMPORARY : Array.from({ length: WORDS_PER_TOPIC }, (_, i) => word(t, i));
    for (let i = 0; i < (t === 0 ? 2 : 1) * PAGES_PER_TOPIC; i++) {
      const body = Array.from({ length: WORDS_PER_PAGE }, () => words[Math.floor(random() * words.length)]);
      pages.push({ title: `${topic} page ${i}`, topic, body: `${body.join(' ')}.` });
    }
  }
  const answer = 'temporary answer';
  pages.push({
    title: answer,
    topic: 'temporary',
    body: 'tempfile temporary cleanup removed automatically disposable.',
  });
  return { pages, answer };
}
