// The data layer's own promises: prepared statements everywhere, and the constraints the error
// translation (src/db/pg-errors.ts) names exist in the schema.
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { closeDb, createDb, rows } from '../src/db/client.js';
import { CONSTRAINTS } from '../src/db/pg-errors.js';
import { createCategory } from '../src/db/queries/categories.js';
import { createThread } from '../src/db/queries/chat-write.js';
import { listThreads } from '../src/db/queries/thread-list.js';
import { projectWithKey, standInUsage } from './factories.js';
import { testDatabase } from './helper.js';

t.test('every statement is prepared, in a transaction too', async (t) => {
  // One connection: pg_prepared_statements lists that session's statements.
  const db = createDb(await testDatabase(t), { max: 1 });
  t.teardown(() => closeDb(db));
  const a = await projectWithKey(db);
  await createCategory(db, { projectId: a.projectId, name: 'Billing', description: '' }); // a transaction
  await createThread(db, {
    projectId: a.projectId,
    question: 'q',
    answer: 'a',
    usage: standInUsage,
    classifyTimeoutSeconds: 60,
  }); // raw SQL
  await listThreads(db, { projectId: a.projectId, limit: 20 }); // the query builder
  await db.execute(sql`select 1 as not_prepared`); // drizzle's own execute: what the helpers are for

  const prepared = (await rows<{ statement: string }>(db, sql`select statement from pg_prepared_statements`)).map(
    (r) => r.statement,
  );
  const has = (re: RegExp) => prepared.some((s) => re.test(s));
  t.ok(has(/^insert into "categories"/), "the insert inside createCategory's transaction");
  t.ok(has(/for update/), 'the lock inside it');
  t.ok(has(/with input as \(.*insert into threads/s), 'the raw one-statement chat write');
  t.ok(has(/^select .* from "threads" left join "categories"/), 'a builder select');
  t.notOk(has(/not_prepared/), 'a plain db.execute is not: the test sees the difference');
});

t.test('every constraint the error translation names exists', async (t) => {
  const db = createDb(await testDatabase(t), { max: 1 });
  t.teardown(() => closeDb(db));
  const names = await rows<{ name: string }>(
    db,
    sql`
    select conname as name from pg_constraint union select indexname from pg_indexes where schemaname = 'public'`,
  );
  const existing = new Set(names.map((r) => r.name));
  for (const name of Object.keys(CONSTRAINTS)) t.ok(existing.has(name), name);
});

// postgres.js 3.4.9 as patches/postgres+3.4.9.patch mends it: a connection that dies mid-transaction (a
// database outage) used to throw from a timer, ending the process; and the next query on the reconnected
// connection got the dead backend's error or rows.
t.test(
  'a connection that dies inside a transaction: the transaction fails, the process lives, the next query gets its own answer',
  async (t) => {
    const db = createDb(await testDatabase(t), { max: 1 }); // one connection, reconnected after each death
    t.teardown(() => closeDb(db));
    for (let i = 0; i < 10; i++) {
      const outcome = await db
        .transaction(async (tx) => void (await rows(tx, sql`select pg_terminate_backend(pg_backend_pid())`)))
        .then(
          () => 'committed',
          () => 'failed',
        );
      t.equal(outcome, 'failed', `transaction ${i} fails`);
      t.same(await rows(db, sql`select ${i}::int as i`), [{ i }], `the query after it answers its own rows`);
    }
  },
);

t.test(
  'what a transaction sends after its connection died fails; it never runs in the next transaction on that connection',
  async (t) => {
    const url = await testDatabase(t);
    const db = createDb(url, { max: 1 });
    const killer = createDb(url, { max: 1 });
    t.teardown(() => Promise.all([closeDb(db), closeDb(killer)]));
    await db.execute(sql`create table late_writes (source text)`);
    let killed!: () => void;
    const backendGone = new Promise<void>((resolve) => (killed = resolve));
    let nextStarted!: () => void;
    const nextHasConnection = new Promise<void>((resolve) => (nextStarted = resolve));
    let lateSettled!: (outcome: string) => void;
    const late = new Promise<string>((resolve) => (lateSettled = resolve));
    const first = db.transaction(async (tx) => {
      const [{ pid }] = (await rows<{ pid: number }>(tx, sql`select pg_backend_pid() as pid`)) as [{ pid: number }];
      await rows(killer, sql`select pg_terminate_backend(${pid})`);
      killed();
      // Sent once the next transaction holds the reconnected connection.
      await nextHasConnection;
      lateSettled(
        await rows(tx, sql`insert into late_writes values ('the dead transaction')`).then(
          () => 'ran',
          () => 'failed',
        ),
      );
    });
    t.equal(
      await first.then(
        () => 'committed',
        () => 'failed',
      ),
      'failed',
      'the first transaction fails',
    );
    await backendGone;
    await db.transaction(async (tx) => {
      await rows(tx, sql`select 1`);
      nextStarted();
      // A late insert that ran in this transaction would settle here too; one that waits for this
      // connection would not, until the test gives up on it.
      await Promise.race([late, sleep(10_000, undefined, { ref: false })]);
      await rows(tx, sql`insert into late_writes values ('the next transaction')`);
    });
    t.equal(await late, 'failed', "the dead transaction's late insert fails");
    t.same(
      await rows(db, sql`select source from late_writes`),
      [{ source: 'the next transaction' }],
      "only the next transaction's row is there",
    );
  },
);
