// The jobs the PL/pgSQL triggers add must be the jobs src/jobs/specs.ts describes: a landed migration cannot
// import the constants, so each trigger is fired for real here and its jobs read from graphile-worker's
// public view.
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { closeDb, createDb, rows, type Db } from '../src/db/client.js';
import {
  COMPACT_COUNTS_TASK,
  COMPACT_SOON_KEY,
  DELIVER_MAX_ATTEMPTS,
  DELIVER_TASK,
  LIVE_PRIORITY,
} from '../src/jobs/specs.js';
import { projectWithKey } from './factories.js';
import { testDatabase } from './helper.js';

type Job = { task_identifier: string; max_attempts: number; priority: number; key: string | null; ahead: boolean };

async function setup(t: Test) {
  const db = createDb(await testDatabase(t), { max: 2 });
  t.teardown(() => closeDb(db));
  return db;
}

/** The jobs `fire` added: graphile-worker's public view, before and after. */
async function jobsAddedBy(db: Db, fire: () => Promise<unknown>): Promise<Job[]> {
  const [{ last }] = await rows<{ last: string }>(
    db,
    sql`select coalesce(max(id), 0)::text as last from graphile_worker.jobs`,
  );
  await fire();
  return rows<Job>(
    db,
    sql`select task_identifier, max_attempts, priority, key, run_at > now() as ahead
        from graphile_worker.jobs where id > ${last}::bigint order by id`,
  );
}

const deliveries = async (db: Db) =>
  (await rows<{ n: number }>(db, sql`select count(*)::int as n from webhook_deliveries`))[0].n;

t.test('the webhook triggers add one webhooks__deliver job per delivery, as DELIVER_TASK describes it', async (t) => {
  const db = await setup(t);
  const { projectId } = await projectWithKey(db);
  for (let i = 0; i < 2; i++) {
    await rows(
      db,
      sql`insert into webhooks (project_id, url, events, secret)
          values (${projectId}, ${`https://example.com/hook/${i}`}, '{thread.created,thread.labelled}', 'secret')`,
    );
  }
  const deliver = { task_identifier: DELIVER_TASK, max_attempts: DELIVER_MAX_ATTEMPTS, priority: LIVE_PRIORITY };
  const twoDeliveries = [deliver, deliver].map((d) => ({ ...d, key: null, ahead: false }));

  let threadId = '';
  const created = await jobsAddedBy(db, async () => {
    [{ id: threadId }] = await rows<{ id: string }>(
      db,
      sql`insert into threads (project_id, first_question) values (${projectId}, 'q') returning id`,
    );
  });
  t.equal(await deliveries(db), 2, 'thread.created: a delivery per webhook');
  t.same(
    created,
    twoDeliveries,
    'a job per delivery, nothing else, with the identifier, attempts and priority of the constants',
  );

  const labelled = await jobsAddedBy(db, () =>
    rows(
      db,
      sql`update threads set category_id = (select id from categories where project_id = ${projectId} limit 1),
          category_source = 'classifier' where id = ${threadId}`,
    ),
  );
  t.equal(await deliveries(db), 4, 'thread.labelled: a delivery per webhook');
  t.same(labelled, twoDeliveries, 'a job per delivery, with the identifier, attempts and priority of the constants');
});

t.test('a statement that appends 200 count deltas queues COMPACT_COUNTS_TASK a little ahead, keyed', async (t) => {
  const db = await setup(t);
  const { projectId } = await projectWithKey(db);
  // 200 threads in 200 different hours: 200 (hour, label) deltas from one statement.
  const added = await jobsAddedBy(db, () =>
    rows(
      db,
      sql`insert into threads (project_id, first_question, created_at)
          select ${projectId}, 'q', timestamptz '2026-01-01' + make_interval(hours => h) from generate_series(1, 200) h`,
    ),
  );
  t.same(
    added.map((j) => ({ task_identifier: j.task_identifier, key: j.key, ahead: j.ahead })),
    [{ task_identifier: COMPACT_COUNTS_TASK, key: COMPACT_SOON_KEY, ahead: true }],
    'one compaction job, with the identifier and key of the constants',
  );
});
