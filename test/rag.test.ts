import t from 'tap';
import { buildPrompt } from '../src/models/rag.js';
import { StaticRetriever } from '../src/models/retriever.js';
import { StaticLlm } from '../src/models/llm.js';

t.test('retriever returns the 5 most relevant chunks', async (t) => {
  const chunks = await new StaticRetriever().retrieve('p', 'What are the system requirements? How much RAM and disk?');
  t.equal(chunks.length, 5);
  t.equal(chunks[0]!.source, 'requirements.md');
});

t.test('prompt for a first question: instructions, chunks, question; no history', async (t) => {
  const chunks = [{ source: 'a.md', text: 'alpha' }, { source: 'b.md', text: 'beta' }];
  const prompt = buildPrompt('How?', chunks);
  t.match(prompt, /documentation assistant/);
  t.match(prompt, /\[1\] \(a\.md\) alpha/);
  t.match(prompt, /\[2\] \(b\.md\) beta/);
  t.match(prompt, /Question: How\?\nAnswer:$/);
  t.notMatch(prompt, /Conversation so far/);
});

t.test('prompt for a follow-up carries the conversation in order before the question', async (t) => {
  const prompt = buildPrompt('And then?', [], [
    { question: 'Q1', answer: 'A1' },
    { question: 'Q2', answer: 'A2' },
  ]);
  t.match(prompt, /Conversation so far:\nUser: Q1\nAssistant: A1\nUser: Q2\nAssistant: A2\n\nQuestion: And then\?/);
});

t.test('LLM stand-in answers deterministically after its latency', async (t) => {
  const llm = new StaticLlm(30);
  const started = Date.now();
  const a = await llm.complete('prompt one');
  t.ok(Date.now() - started >= 25, 'waited about LLM_LATENCY_MS');
  t.equal(await new StaticLlm(0).complete('prompt one'), a);
  t.type(a, 'string');
});
