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
  for (let i = 0; i < 5; i++)
    t.equal((await c.classify(q, [...cats].reverse())).id, first.id, 'same answer whatever the order');
  await t.rejects(c.classify('anything', []), { message: /empty list of categories/ });
});

t.test(
  'LimitedClassifier: at most N calls in flight; a slot kept for live calls; waiting live calls go first',
  async (t) => {
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
        return categories[0];
      },
    };
    const tick = () => new Promise((r) => setImmediate(r));
    const limited = new LimitedClassifier(slow, 20); // one slot kept for live calls
    const calls = Array.from({ length: 21 }, (_, i) => limited.classify(`b${i}`, cats, 'backfill'));
    await tick();
    t.equal(inFlight, 19, 'backfill calls leave the last slot free');
    calls.push(limited.classify('live1', cats, 'live'));
    await tick();
    t.equal(inFlight, 20, 'a live call starts at once during a backfill');
    calls.push(limited.classify('live2', cats, 'live'));
    await tick();
    t.equal(inFlight, 20, 'never more than the limit');
    releases.shift()!(); // b0 ends: a slot frees
    await tick();
    await tick();
    t.equal(order[0], 'b0');
    t.ok(inFlight === 20 && peak === 20, 'the freed slot is taken');
    while (order.length < 23) {
      releases.shift()?.();
      await tick();
    }
    await Promise.all(calls);
    t.equal(peak, 20);
    t.ok(order.indexOf('live2') < order.indexOf('b19'), 'the waiting live call overtook the waiting backfill calls');
    t.equal(limited.inFlight, 0);
  },
);
