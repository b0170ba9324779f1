// The prompt (numbered excerpts, the conversation, the question), the sources an answer cites, and the
// stand-in model's extractive answers: pure functions, no database.
import t from 'tap';
import { buildPrompt, relevantSources } from '../src/models/rag.js';
import { extractiveAnswer, NOT_COVERED, StaticLlm } from '../src/models/llm.js';
import type { RetrievedChunk } from '../src/models/retriever.js';

let n = 0;
const chunk = (p: Partial<RetrievedChunk> & { body: string }): RetrievedChunk => ({
  sourceId: 'source-1',
  documentId: `doc-${++n}`,
  title: `Page ${n}`,
  url: `https://docs.test/page-${n}#part`,
  section: 'Part',
  score: 1,
  ...p,
});

t.test('the system message numbers the excerpts with title, section and URL, then the question', (t) => {
  const install = chunk({
    title: 'Install',
    section: 'From source',
    url: 'https://x.dev/install#src',
    body: 'Run make.',
  });
  const upload = chunk({ title: 'notes.txt', section: '', url: null, body: 'Line one.\nLine two.' });
  const prompt = buildPrompt('How do I build it?', [install, upload]);
  t.equal(prompt.messages.length, 2);
  t.equal(prompt.messages[0].role, 'system');
  const system = prompt.messages[0].content;
  t.match(system, /using only the numbered documentation excerpts/);
  t.match(system, /cite the excerpts you use by their number, like \[1\]/);
  t.ok(system.includes(`reply only "${NOT_COVERED}"`), 'says what to answer when the excerpts do not cover it');
  t.ok(
    system.endsWith(
      'Documentation excerpts:\n\n' +
        '[1] Install\nSection: From source\nURL: https://x.dev/install#src\nRun make.\n\n' +
        '[2] notes.txt\nSection: (none)\nURL: (none)\nLine one.\nLine two.',
    ),
    system,
  );
  t.same(prompt.messages[1], { role: 'user', content: 'How do I build it?' });
  t.equal(prompt.question, 'How do I build it?');
  t.same(prompt.excerpts, [install, upload], 'the excerpts travel with the messages, in their order');
  t.end();
});

t.test('without excerpts the prompt says so; a follow-up carries the conversation before the question', (t) => {
  const prompt = buildPrompt(
    'And then?',
    [],
    [
      { question: 'Q1', answer: 'A1' },
      { question: 'Q2', answer: 'A2' },
    ],
  );
  t.match(prompt.messages[0].content, /Documentation excerpts: none \(the documentation holds nothing relevant/);
  t.notMatch(prompt.messages[0].content, /^\[1\]/m, 'no numbered excerpt');
  t.same(prompt.messages.slice(1), [
    { role: 'user', content: 'Q1' },
    { role: 'assistant', content: 'A1' },
    { role: 'user', content: 'Q2' },
    { role: 'assistant', content: 'A2' },
    { role: 'user', content: 'And then?' },
  ]);
  t.same(prompt.excerpts, []);
  t.end();
});

t.test('relevant sources: distinct documents, best first, at most five, URLs without the anchor', (t) => {
  const a1 = chunk({ documentId: 'A', title: 'A', url: 'https://x.dev/a?v=2#one', body: '.' });
  const a2 = chunk({ documentId: 'A', title: 'A', url: 'https://x.dev/a?v=2#two', body: '.' });
  const b = chunk({ documentId: 'B', title: 'B', url: null, body: '.' });
  const more = ['C', 'D', 'E', 'F'].map((id) =>
    chunk({ documentId: id, title: id, url: `https://x.dev/${id}`, body: '.' }),
  );
  t.same(relevantSources([b, a1, a2]), [
    { title: 'B', url: null },
    { title: 'A', url: 'https://x.dev/a?v=2' },
  ]);
  t.same(
    relevantSources([a1, b, a2, ...more]).map((s) => s.title),
    ['A', 'B', 'C', 'D', 'E'],
  );
  t.same(relevantSources([]), []);
  t.end();
});

t.test('extractive: the three sentences sharing most words with the question, in their order', (t) => {
  const text =
    'Welcome to the guide. Install the package with pip install acme. ' +
    'The weather is nice.\n\nConfigured packages are cached in ~/.cache. ' +
    'Upgrading a package: pip install --upgrade acme installs the new version. Questions go to the forum.';
  t.equal(
    extractiveAnswer('How do I install or upgrade a package with pip?', text),
    'Install the package with pip install acme. Configured packages are cached in ~/.cache. ' +
      'Upgrading a package: pip install --upgrade acme installs the new version.',
  );
  t.equal(
    extractiveAnswer('where are configured packages cached?', text),
    'Install the package with pip install acme. Configured packages are cached in ~/.cache. ' +
      'Upgrading a package: pip install --upgrade acme installs the new version.',
    'stemmed: packages ~ package, configured ~ configure',
  );
  t.equal(extractiveAnswer('weather?', text), 'The weather is nice.', 'one sentence when only one shares a word');
  t.equal(extractiveAnswer('zebra?', text), 'Welcome to the guide.', 'none shares a word: the first sentence');
  t.equal(
    extractiveAnswer('What is the default port?', 'Port\n\nThe server listens on port 8080 by default.'),
    'Port The server listens on port 8080 by default.',
    'paragraphs are separate sentences',
  );
  t.end();
});

t.test('the stand-in answers from the best excerpt, or says the documentation does not cover it', async (t) => {
  const best = chunk({ body: 'Tokens expire after one hour. Refresh them with the refresh endpoint.' });
  const other = chunk({ body: 'Tokens are secret. Never share tokens.' });
  const llm = new StaticLlm(0);
  const answer = await llm.complete(buildPrompt('When do tokens expire?', [best, other]));
  t.equal(answer.text, 'Tokens expire after one hour.', 'from the first excerpt only');
  t.match(answer.usage, { model: 'stand-in', promptTokens: 0, completionTokens: 0 });
  t.equal((await llm.complete(buildPrompt('When do tokens expire?', []))).text, NOT_COVERED);
  const empty = chunk({ body: ' \n\n ' });
  t.equal(
    (await llm.complete(buildPrompt('When do tokens expire?', [empty, best]))).text,
    NOT_COVERED,
    'an empty best excerpt',
  );

  const pieces: string[] = [];
  const stream = await llm.stream(buildPrompt('When do tokens expire?', [best, other]), new AbortController().signal);
  for (let piece = await stream.next(); !piece.done; piece = await stream.next()) pieces.push(piece.value);
  t.ok(pieces.length > 1, 'streamed in pieces');
  t.equal(pieces.join(''), answer.text, 'the same answer');
});

t.test('the stand-in waits its latency before answering', async (t) => {
  const started = performance.now();
  const a = await new StaticLlm(30).complete(buildPrompt('q', []));
  t.ok(performance.now() - started >= 25, 'waited about LLM_LATENCY_MS');
  t.ok(a.usage.latencyMs >= 25, 'the latency is the whole call');
});
