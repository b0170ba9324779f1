import { sql } from 'drizzle-orm';
import { rows, type Db, type DbOrTx } from '../client.js';

// Questions are built as template x subject, so a million threads read like varied real traffic.
const TEMPLATES = [
  'How do I configure %s?',
  'What are the system requirements for %s?',
  'Why does %s fail with a timeout?',
  'Is there a way to disable %s in production?',
  'How can I migrate %s from version 2 to version 3?',
  'My process runs out of memory when using %s, what can I do?',
  'Where can I find the logs for %s?',
  'Does %s support Windows?',
  'What is the recommended way to back up %s?',
  'How do I authenticate requests to %s?',
  'Can I run %s behind a corporate proxy?',
  'Why is %s so slow on large projects?',
  'How do I upgrade %s without downtime?',
  'What does the error "connection refused" mean when starting %s?',
  'Is %s available on the free plan?',
  'How do I export data from %s as CSV?',
  'What permissions does %s need?',
  'How do I set up single sign-on for %s?',
  'Can %s be installed offline?',
  'How do I reset the cache of %s?',
];
const SUBJECTS = [
  'the CLI',
  'the REST API',
  'webhooks',
  'the Docker image',
  'the Python SDK',
  'the TypeScript SDK',
  'SSO',
  'the plugin system',
  'rate limiting',
  'the search index',
  'backups',
  'the scheduler',
  'the dashboard',
  'audit logs',
  'the Kubernetes operator',
  'the GitHub integration',
  'the config file',
  'environment variables',
  'the billing API',
  'two-factor authentication',
  'the import tool',
  'the reporting module',
  'TLS certificates',
  'the worker queue',
  'the cache layer',
];
const FOLLOW_UPS = [
  'Thanks. And how do I check that it worked?',
  'That did not help, the error is still there. Any other idea?',
  'Can you show me an example configuration?',
  'Does this also apply to the Docker setup?',
  'What about on macOS?',
  'Is there a command to do this automatically?',
];
const ANSWERS = [
  'Set the option in `acme.config.json` and restart the service; environment variables override the file.',
  'Check the logs with `LOG_LEVEL=debug`; the error usually names the setting that is missing.',
  'Raise the memory limit with `NODE_OPTIONS=--max-old-space-size=4096` or lower `batchSize`.',
  'Yes: see the installation guide, section "Supported platforms", for the exact versions.',
  'Run `acme backup --out backup.tar` first, then install the new version and run `acme migrate`.',
];

const textArray = (items: string[]) =>
  sql`array[${sql.join(
    items.map((i) => sql`${i}`),
    sql`, `,
  )}]::text[]`;

/**
 * Inserts `count` historical threads (1 to 3 question-answers each, created over the past year) in one
 * statement, generated inside PostgreSQL. Adds no jobs: this is data as it was before categorisation.
 */
export async function seedThreads(db: DbOrTx, p: { projectId: string; count: number }): Promise<void> {
  await rows(
    db,
    sql`
    with words as (
      select ${textArray(TEMPLATES)} as tpl, ${textArray(SUBJECTS)} as subj,
             ${textArray(FOLLOW_UPS)} as fup, ${textArray(ANSWERS)} as ans
    ),
    new_threads as (
      -- Last changed by its last follow-up, two minutes apart.
      insert into threads (project_id, created_at, updated_at, first_question, total_questions)
      select ${p.projectId}::uuid, created_at, least(now(), created_at + (total_questions - 1) * interval '2 minutes'), first_question, total_questions
      from (
        select now() - random() * interval '365 days' as created_at,
               format(tpl[1 + floor(random() * cardinality(tpl))::int], subj[1 + floor(random() * cardinality(subj))::int]) as first_question,
               1 + floor(random() * 3)::int as total_questions
        from generate_series(1, ${p.count}), words
      ) s
      returning id, created_at, first_question, total_questions
    )
    insert into question_answers (thread_id, project_id, position, question, answer, created_at)
    select t.id, ${p.projectId}::uuid, pos,
           case when pos = 1 then t.first_question else fup[1 + floor(random() * cardinality(fup))::int] end,
           ans[1 + floor(random() * cardinality(ans))::int],
           t.created_at + (pos - 1) * interval '2 minutes'
    from new_threads t cross join lateral generate_series(1, t.total_questions) pos, words`,
  );
}

const CHUNK = 50_000;

/**
 * Inserts `count` historical threads as seedThreads does, in statements of 50,000 threads, two at a time (one per
 * core: each statement is generated and run inside PostgreSQL). `onProgress` is called after every statement with
 * the threads inserted so far. This is what `npm run seed` and the benchmarks use.
 */
export async function seedManyThreads(
  db: Db,
  p: { projectId: string; count: number; onProgress?: (done: number, count: number) => void },
): Promise<void> {
  let queued = 0;
  let done = 0;
  const lane = async () => {
    while (queued < p.count) {
      const n = Math.min(CHUNK, p.count - queued);
      queued += n;
      await seedThreads(db, { projectId: p.projectId, count: n });
      done += n;
      p.onProgress?.(done, p.count);
    }
  };
  await Promise.all([lane(), lane()]);
}
