import t from 'tap';
import { LimitedClassifier, StaticClassifier, type CategoryChoice, type Classifier } from '../src/models/classifier.js';

const cats: CategoryChoice[] = [
  { id: 'a', name: 'Discovery', description: 'the user is trying to find out how to do something' },
  { id: 'b', name: 'Troubleshooting', description: 'the user needs help with a problem, an error or a crash' },
  { id: 'c', name: 'Careers', description: 'asking about open positions' },
];

t.test('the stand-in is deterministic, follows the words, and refuses an empty list', async (t) => {
  const c = new StaticClassifier(0);
  t.equal((await c.classify('I get an error and a crash', cats)).id, 'b');
  t.equal((await c.classify('Do you have open positions in careers?', cats)).id, 'c');
  const q = 'Something entirely unrelated';
  const first = await c.classify(q, cats);
  for (let i = 0; i < 5; i++) t.equal((await c.classify(q, [...cats].reverse())).id, first.id, 'same answer whatever the order');
  await t.rejects(c.classify('anything', []), { message: /empty list of categories/ });
});

t.test('LimitedClassifier: at most N calls in flight; waiting live calls go before backfill', async (t) => {
  let inFlight = 0;
  let peak = 0;
  const order: string[] = [];
  const releases: (() => void)[] = [];
  const slow: Classifier = {
    async classify(question, categories) {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise<void>((r) => releases.push(r));
      inFlight--;
      order.push(question);
      return categories[0]!;
    },
  };
  const limited = new LimitedClassifier(slow, 2);
  const calls = [
    limited.classify('b1', cats, 'backfill'),
    limited.classify('b2', cats, 'backfill'),
    limited.classify('b3', cats, 'backfill'),
    limited.classify('live', cats, 'live'),
  ];
  await new Promise((r) => setImmediate(r));
  t.equal(inFlight, 2, 'two in flight, two waiting');
  while (order.length < 4) {
    releases.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(calls);
  t.equal(peak, 2);
  t.same(order, ['b1', 'b2', 'live', 'b3'], 'the live call overtook the waiting backfill call');
  t.equal(limited.inFlight, 0);
});
