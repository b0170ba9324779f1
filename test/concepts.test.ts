// The concept space of a project's pages (latent semantic indexing), on a documentation of many topics.
import t from 'tap';
import { computeConcepts, type PageWord } from '../src/sources/concepts.js';
import { conceptCorpus } from './concept-corpus.js';

function counts(pages: { title: string; body: string }[]): PageWord[] {
  return pages.flatMap((page) => {
    const words = new Map<string, number>();
    for (const w of page.body.match(/[a-z]+/g) ?? []) words.set(w, (words.get(w) ?? 0) + 1);
    return [...words].map(([lexeme, count]) => ({ page: page.title, lexeme, count }));
  });
}

const cosine = (a: number[], b: number[]) =>
  a.reduce((sum, x, i) => sum + x * b[i], 0) / (Math.hypot(...a) * Math.hypot(...b));

t.test('a word is near the pages of its topic, a page that never uses it included', (t) => {
  const { pages, answer } = conceptCorpus();
  const concepts = computeConcepts(counts(pages))!;
  t.equal(concepts.pages.length, pages.length, 'a vector per page');
  t.ok(
    concepts.pages.every((p) => Math.abs(Math.hypot(...p.vector) - 1) < 1e-9),
    "the pages' vectors are of unit length",
  );
  const scratch = concepts.words.find((w) => w.lexeme === 'scratch')!.vector;
  const near = (title: string) => cosine(scratch, concepts.pages.find((p) => p.id === title)!.vector);
  const topicOf = new Map(pages.map((p) => [p.title, p.topic]));
  const others = pages.filter((p) => p.topic !== 'temporary').map((p) => near(p.title));
  t.ok(near(answer) > 0.5, `the page without the word is near it (cosine ${near(answer).toFixed(2)})`);
  t.ok(
    others.every((c) => c < near(answer)),
    `nearer than any page of another topic (at most ${Math.max(...others).toFixed(2)})`,
  );
  const ranked = [...concepts.pages].sort((a, b) => cosine(scratch, b.vector) - cosine(scratch, a.vector));
  t.ok(
    ranked.slice(0, 13).every((p) => topicOf.get(p.id) === 'temporary'),
    "the 13 nearest pages are the topic's",
  );
  t.same(computeConcepts(counts(pages)), concepts, 'the same pages, the same concepts');
  t.end();
});

t.test('too few pages or words: no concepts', (t) => {
  t.equal(computeConcepts([]), null);
  t.equal(
    computeConcepts(
      counts([
        { title: 'a', body: 'one two' },
        { title: 'b', body: 'two three' },
      ]),
    ),
    null,
    'two pages',
  );
  t.end();
});
