import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { admin } from '../src/cli/admin.js';
import { backfill } from '../src/cli/backfill.js';
import type * as S from '../src/schemas/admin.js';
import { runCli } from './cli-io.js';
import { build } from './helper.js';
import { projectClient } from './factories.js';
import { nodeArgs } from './transpile.js';

type Team = ReturnType<typeof S.toTeam>;
type User = ReturnType<typeof S.toUser>;
type Project = ReturnType<typeof S.toProject>;
type ApiKey = ReturnType<typeof S.toApiKey> & { key: string };

t.test('npm run admin creates teams, projects and keys, and revokes keys, over the same code', async (t) => {
  const { app, url } = await build(t);
  const env = { DATABASE_URL: url };
  const cli = async <T>(...args: string[]): Promise<T> => {
    const res = await runCli(admin, args, env);
    t.equal(res.code, 0, `${args.slice(0, 2).join(' ')} exits 0 ${res.stderr}`);
    return JSON.parse(res.stdout) as T;
  };

  const team = await cli<Team>('teams', 'create', '--name', 'CLI team');
  t.match(team, { id: String, name: 'CLI team' });
  t.same(
    (await cli<Team[]>('teams', 'list')).map((x) => x.id),
    [team.id],
  );
  const user = await cli<User>(
    'users',
    'create',
    '--team',
    team.id,
    '--email',
    'ops@example.com',
    '--digest',
    'MONTHLY',
  );
  t.match(user, { email: 'ops@example.com', digest_interval: 'MONTHLY' });
  t.match(await cli<User>('users', 'update', '--id', user.id, '--digest', 'none'), { digest_interval: null });
  const project = await cli<Project>('projects', 'create', '--team', team.id, '--name', 'Bot', '--product', 'Acme');
  t.match(project, { team: team.id, project_name: 'Bot', product_name: 'Acme' });
  const key = await cli<ApiKey>('keys', 'create', '--project', project.id, '--name', 'ci');
  t.match(key.key, /^dck_/);

  const api = projectClient(app, project.id, key.key);
  t.equal((await api.get('/threads/')).statusCode, 200, 'a key made by the CLI works on the API');
  await cli('keys', 'revoke', '--id', key.id);
  t.equal((await api.get('/threads/')).statusCode, 401, 'revoked by the CLI');

  const failure = await runCli(admin, ['projects', 'create', '--team', 'nope', '--name', 'x', '--product', 'y'], env);
  t.equal(failure.code, 2, 'bad input exits 2');
  t.match(failure.stderr, /invalid --team/);
  t.match(failure.stderr, /usage: npm run admin/, 'with the usage');
  const missing = await runCli(
    admin,
    ['keys', 'create', '--project', '00000000-0000-4000-8000-000000000000', '--name', 'x'],
    env,
  );
  t.equal(missing.code, 1);
  t.match(missing.stderr, /project not found/);
  t.equal(missing.stdout, '', 'nothing on stdout');
  const unknown = await runCli(admin, ['teams', 'fly'], env);
  t.equal(unknown.code, 2, 'an unknown command exits 2');
  t.match(unknown.stderr, /usage: npm run admin/);
});

// The wrapper a shell runs: the exit code and the streams of a real process.
t.test('npm run admin as a process: bad input exits 2 with the reason on stderr, nothing on stdout', async (t) => {
  const { url } = await build(t);
  const failure = await promisify(execFile)(
    process.execPath,
    [...nodeArgs('src/cli/admin.ts'), 'teams', 'get', '--id', 'nope'],
    { env: { ...process.env, DATABASE_URL: url } },
  ).then(
    () => ({ code: 0, stdout: '', stderr: '' }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
  t.equal(failure.code, 2, 'exit code 2');
  t.match(failure.stderr, /invalid --id/);
  t.equal(failure.stdout, '');
});

t.test('npm run backfill starts the sweep at once, not at the next minute of the crontab', async (t) => {
  const { db, url } = await build(t);
  const sweeps = async () =>
    (
      await db.execute<{ n: number }>(sql`
      select count(*)::int as n from graphile_worker.jobs where task_identifier = 'classification__sweep' and run_at <= now()`)
    )[0].n;
  t.equal(await sweeps(), 0, 'no sweep queued before');
  const { code, stdout } = await runCli(backfill, ['--once'], { DATABASE_URL: url });
  t.equal(code, 0);
  t.match(stdout, /sweep requested/);
  t.equal(await sweeps(), 1, 'a sweep is queued to run now: the first worker free takes it');
  const bad = await runCli(backfill, ['--project', 'nope'], { DATABASE_URL: url });
  t.equal(bad.code, 2, 'a project that is not an id: exit 2');
  t.match(bad.stderr, /usage: npm run backfill/);
});
