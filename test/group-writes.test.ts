// Group commit of the chat's new threads (src/db/group-writes.ts, threadWrites in src/db/queries/chat-write.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { rows } from '../src/db/client.js';
import { threadWrites } from '../src/db/queries/chat-write.js';
import { GroupWrites } from '../src/db/group-writes.js';
import { build } from './helper.js';
import { projectWithKey, standInUsage } from './factories.js';

t.test('items that arrive while a write is in flight go together in the next one', async (t) => {
  const groups: number[][] = [];
  const writes = new GroupWrites<number, number>(
    async (items) => {
      groups.push(items);
      await sleep(20);
      return items.map((i) =>
        i === 7 ? { status: 'rejected', reason: new Error('seven') } : { status: 'fulfilled', value: i * 10 },
      );
    },
    { concurrency: 1, maxItems: 5 },
  );
  const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => writes.add(i)));
  t.same(
    groups,
    [[0], [1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11]],
    'a lone first item goes at once; the rest in groups of at most 5',
  );
  t.same(
    results.map((r) => (r.status === 'fulfilled' ? r.value : 'failed')),
    [0, 10, 20, 30, 40, 50, 60, 'failed', 80, 90, 100, 110],
  );
});

t.test("concurrent chats' threads are written together with their jobs; a bad one fails alone", async (t) => {
  const { db } = await build(t);
  const a = await projectWithKey(db);
  const writes = threadWrites(db, 300);
  const items = Array.from({ length: 30 }, (_, i) => ({
    projectId: i === 13 ? '00000000-0000-4000-8000-000000000000' : a.projectId, // no such project: a foreign-key violation
    question: `question ${i}`,
    answer: 'answer',
    usage: standInUsage,
  }));
  const results = await Promise.allSettled(items.map((item) => writes.add(item)));
  t.equal(results[13].status, 'rejected', 'the thread of an unknown project is refused');
  const created = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.threadId] : []));
  t.equal(created.length, 29, 'every other thread is written');
  const [stored] = await rows<{ threads: number; jobs: number }>(
    db,
    sql`
    select (select count(*)::int from threads where project_id = ${a.projectId}) as threads,
           (select count(*)::int from graphile_worker.jobs where task_identifier = 'threads__classify'
              and key = any(${`{${created.map((id) => `threads__classify:${id}`).join(',')}}`}::text[])) as jobs`,
  );
  t.same(stored, { threads: 29, jobs: 29 }, 'each with its classification job');
});
