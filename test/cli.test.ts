import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { build } from './helper.js';
import { projectClient } from './factories.js';

const run = promisify(execFile);

t.test('npm run admin creates teams, projects and keys, and revokes keys, over the same code', async (t) => {
  const { app, url } = await build(t);
  const admin = async (...args: string[]) => {
    const { stdout } = await run('npx', ['tsx', 'src/cli/admin.ts', ...args], {
      env: { ...process.env, DATABASE_URL: url },
    });
    return JSON.parse(stdout);
  };

  const team = await admin('teams', 'create', '--name', 'CLI team');
  t.match(team, { id: String, name: 'CLI team' });
  t.same(
    (await admin('teams', 'list')).map((x: { id: string }) => x.id),
    [team.id],
  );
  const user = await admin('users', 'create', '--team', team.id, '--email', 'ops@example.com', '--digest', 'MONTHLY');
  t.match(user, { email: 'ops@example.com', digest_interval: 'MONTHLY' });
  t.match(await admin('users', 'update', '--id', user.id, '--digest', 'none'), { digest_interval: null });
  const project = await admin('projects', 'create', '--team', team.id, '--name', 'Bot', '--product', 'Acme');
  t.match(project, { team: team.id, project_name: 'Bot', product_name: 'Acme' });
  const key = await admin('keys', 'create', '--project', project.id, '--name', 'ci');
  t.match(key.key, /^dck_/);

  const api = projectClient(app, project.id, key.key);
  t.equal((await api.get('/threads/')).statusCode, 200, 'a key made by the CLI works on the API');
  await admin('keys', 'revoke', '--id', key.id);
  t.equal((await api.get('/threads/')).statusCode, 401, 'revoked by the CLI');

  const failure = await run(
    'npx',
    ['tsx', 'src/cli/admin.ts', 'projects', 'create', '--team', 'nope', '--name', 'x', '--product', 'y'],
    {
      env: { ...process.env, DATABASE_URL: url },
    },
  ).catch((err) => err);
  t.equal(failure.code, 2, 'bad input exits 2');
  t.match(failure.stderr, /invalid --team/);
  const missing = await run(
    'npx',
    ['tsx', 'src/cli/admin.ts', 'keys', 'create', '--project', '00000000-0000-4000-8000-000000000000', '--name', 'x'],
    {
      env: { ...process.env, DATABASE_URL: url },
    },
  ).catch((err) => err);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /project not found/);
});

t.test('npm run backfill starts the sweep at once, not at the next minute of the crontab', async (t) => {
  const { db, url } = await build(t);
  const sweeps = async () =>
    (
      await db.execute<{ n: number }>(sql`
      select count(*)::int as n from graphile_worker.jobs where task_identifier = 'classification__sweep' and run_at <= now()`)
    )[0].n;
  t.equal(await sweeps(), 0, 'no sweep queued before');
  const { stdout } = await run('npx', ['tsx', 'src/cli/backfill.ts', '--once'], {
    env: { ...process.env, DATABASE_URL: url },
  });
  t.match(stdout, /sweep requested/);
  t.equal(await sweeps(), 1, 'a sweep is queued to run now: the first worker free takes it');
});
