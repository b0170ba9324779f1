import t from 'tap';
import { buildMessages } from '../src/models/rag.js';
import { StaticRetriever } from '../src/models/retriever.js';
import { StaticLlm } from '../src/models/llm.js';

t.test('retriever returns the 5 most relevant chunks', async (t) => {
  const chunks = await new StaticRetriever().retrieve('p', 'What are the system requirements? How much RAM and disk?');
  t.equal(chunks.length, 5);
  t.equal(chunks[0].source, 'requirements.md');
});

t.test('messages for a first question: instructions and chunks as the system message, then the question', (t) => {
  const chunks = [
    { source: 'a.md', text: 'alpha' },
    { source: 'b.md', text: 'beta' },
  ];
  const messages = buildMessages('How?', chunks);
  t.equal(messages.length, 2);
  t.equal(messages[0].role, 'system');
  t.match(messages[0].content, /documentation assistant/);
  t.match(messages[0].content, /\[1\] \(a\.md\) alpha\n\[2\] \(b\.md\) beta$/);
  t.same(messages[1], { role: 'user', content: 'How?' });
  t.end();
});

t.test('messages for a follow-up carry the conversation in order before the question', (t) => {
  const messages = buildMessages(
    'And then?',
    [],
    [
      { question: 'Q1', answer: 'A1' },
      { question: 'Q2', answer: 'A2' },
    ],
  );
  t.same(messages.slice(1), [
    { role: 'user', content: 'Q1' },
    { role: 'assistant', content: 'A1' },
    { role: 'user', content: 'Q2' },
    { role: 'assistant', content: 'A2' },
    { role: 'user', content: 'And then?' },
  ]);
  t.end();
});

t.test('LLM stand-in answers deterministically after its latency', async (t) => {
  const llm = new StaticLlm(30);
  const started = Date.now();
  const prompt = [{ role: 'user' as const, content: 'prompt one' }];
  const a = await llm.complete(prompt);
  t.ok(Date.now() - started >= 25, 'waited about LLM_LATENCY_MS');
  t.equal((await new StaticLlm(0).complete(prompt)).text, a.text);
  t.type(a.text, 'string');
  t.match(a.usage, { model: 'stand-in', promptTokens: 0, completionTokens: 0 });
  t.ok(a.usage.latencyMs >= 25, 'the latency is the whole call');
});
