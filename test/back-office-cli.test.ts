// The back office from a shell: `npm run admin` renames, searches, changes emails and deletes over the same
// query functions as /admin/v1 (called in-process: test/cli.test.ts runs the command as a process).
import t from 'tap';
import { admin } from '../src/cli/admin.js';
import type * as S from '../src/schemas/admin.js';
import { runCli } from './cli-io.js';
import { ADMIN_TOKEN, build } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';

type User = ReturnType<typeof S.toUser>;

t.test('npm run admin: rename, list with a search, change an email, delete a team with --cascade', async (t) => {
  const { app, db, url } = await build(t);
  const cli = (...args: string[]) => runCli(admin, args, { DATABASE_URL: url });
  const a = await projectWithKey(db, 'Acme');
  await projectWithKey(db, 'Globex');
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const user = (
    await app.inject({
      method: 'POST',
      url: `/admin/v1/teams/${a.team.id}/users`,
      headers,
      payload: { email: 'ada@acme.test' },
    })
  ).json<User>();

  const renamed = await cli('teams', 'rename', '--id', a.team.id, '--name', 'Acme 100%');
  t.equal(renamed.code, 0, renamed.stderr);
  t.match(JSON.parse(renamed.stdout), { id: a.team.id, name: 'Acme 100%' });

  const listed = await cli('teams', 'list', '--q', '0%');
  t.same(
    (JSON.parse(listed.stdout) as { id: string }[]).map((x) => x.id),
    [a.team.id],
    'searched, % literally, regardless of case',
  );

  const changed = await cli('users', 'update', '--id', user.id, '--email', 'Ada.Lovelace@acme.test');
  t.equal((JSON.parse(changed.stdout) as User).email, 'Ada.Lovelace@acme.test');
  t.equal(
    (await app.inject({ method: 'GET', url: `/admin/v1/users/${user.id}`, headers })).json<User>().email,
    'Ada.Lovelace@acme.test',
    'the API sees it',
  );

  const refused = await cli('teams', 'delete', '--id', a.team.id);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /the team has 1 project: delete it first, or delete with cascade=true/);
  const deleted = await cli('teams', 'delete', '--id', a.team.id, '--cascade');
  t.equal(deleted.code, 0, deleted.stderr);
  t.same(JSON.parse(deleted.stdout), { id: a.team.id, deleted: true, projects_deleted: 1 });
  t.equal(
    (await projectClient(app, a.projectId, a.key).get('/threads/')).statusCode,
    401,
    "its project's key is refused",
  );

  const gone = await cli('projects', 'get', '--id', a.projectId);
  t.equal(gone.code, 1);
  t.match(gone.stderr, /project not found/);
});
