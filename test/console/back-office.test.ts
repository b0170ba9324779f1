// The back office in Chromium, through the real server: teams, users, projects and keys created, changed, deleted
// and revoked on its pages are so in the admin API (and a revoked key is refused by the API), and the work page
// shows the queue the admin API reports.
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { rows } from '../../src/db/client.js';
import { newTab, open, screenshots, signInAdmin, startConsole, tableRows } from './browser.js';

type Team = { id: string; name: string };
type Project = { id: string; project_name: string; product_name: string; team: string };
type Key = { id: string; name: string; revoked_at: string | null };
type User = {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  digest_interval: string | null;
};
type Queue = { task: string; waiting: number; failed: number };

const c = await startConsole(t);

/** The API's answer status to a request to a project's route with this key. */
const projectStatus = async (projectId: string, key: string) =>
  (await fetch(`${c.base}/query/v1/projects/${projectId}/categories/`, { headers: { 'x-api-key': key } })).status;

/**
 * Deletes the row `name` with its Delete button: the admin API still has it (`path`) until the confirmation,
 * then answers 404.
 */
async function deleteConfirmed(t: Test, page: Page, row: { name: string; path: string; id: string; what: string }) {
  await page.getByRole('button', { name: `Delete ${row.name}` }).click();
  t.equal((await c.adminApi<{ id: string }>(row.path)).id, row.id, 'nothing deleted before the confirmation');
  await page.getByRole('button', { name: 'Confirm delete' }).click();
  await page.getByRole('cell', { name: row.name, exact: true }).waitFor({ state: 'detached' });
  const gone = await fetch(`${c.base}/admin/v1${row.path}`, {
    headers: { authorization: `Bearer ${c.config.ADMIN_TOKEN}` },
  });
  t.equal(gone.status, 404, `the API no longer has the ${row.what}`);
}

t.test('a team created, searched, renamed and deleted on the Teams page', async (t) => {
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  await signInAdmin(page, c);
  await page.getByRole('heading', { level: 1, name: 'Teams', exact: true }).waitFor();

  await page.getByLabel('Team name').fill('Acme Docs');
  await page.getByRole('button', { name: 'Create team' }).click();
  await page.getByRole('cell', { name: 'Acme Docs', exact: true }).waitFor();
  const [team] = (await c.adminApi<{ results: Team[] }>('/teams?q=Acme')).results;
  t.equal(team?.name, 'Acme Docs', 'the API has the new team');
  await screenshots(t, page, 'admin-teams');

  await page.getByRole('button', { name: 'Rename Acme Docs' }).click();
  const rename = page.getByRole('form', { name: 'Rename Acme Docs' });
  await rename.getByLabel('New name').fill('Acme Documentation');
  await rename.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('cell', { name: 'Acme Documentation', exact: true }).waitFor();
  t.equal((await c.adminApi<Team>(`/teams/${team.id}`)).name, 'Acme Documentation', 'renamed in the API');

  await page.getByLabel('Search teams').fill('Documentation');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  t.same(
    (await tableRows(page, 'Teams whose name contains “Documentation”')).map((r) => r[0]),
    ['Acme Documentation'],
    'the search lists the one team whose name matches',
  );

  await deleteConfirmed(t, page, { name: 'Acme Documentation', path: `/teams/${team.id}`, id: team.id, what: 'team' });
  t.same(faults, []);
});

t.test('a project created, renamed and deleted on the Projects page', async (t) => {
  const team = await c.adminApi<Team>('/teams', 'POST', { name: 'Widgets Inc' });
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  await signInAdmin(page, c);
  await open(page, c, '#/admin/projects', 'Projects');

  const form = page.getByRole('form', { name: 'New project' });
  await form.getByLabel('Team of the new project').selectOption({ label: 'Widgets Inc' });
  await form.getByLabel('Project name').fill('Widget bot');
  await form.getByLabel('Product name').fill('Widget');
  await form.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('link', { name: 'Widget bot', exact: true }).waitFor();
  const inTeam = async () =>
    (await c.adminApi<{ results: Project[] }>(`/projects?team_id=${team.id}`)).results.map((p) => p.project_name);
  t.same(await inTeam(), ['Widget bot'], 'the API has the project, in its team');
  await screenshots(t, page, 'admin-projects');

  await page.getByRole('button', { name: 'Rename Widget bot' }).click();
  await page.getByLabel('New project name').fill('Widget helper');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('link', { name: 'Widget helper', exact: true }).waitFor();
  t.same(await inTeam(), ['Widget helper'], 'renamed in the API');

  await page.getByRole('button', { name: 'Delete Widget helper' }).click();
  await page.getByRole('button', { name: 'Confirm delete' }).click();
  await page.getByRole('link', { name: 'Widget helper', exact: true }).waitFor({ state: 'detached' });
  t.same(await inTeam(), [], 'the API no longer lists it');
  t.same(faults, []);
});

t.test("a project's key created (its secret shown once, and working), renamed and revoked", async (t) => {
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  await signInAdmin(page, c);
  const projectId = c.project.projectId;
  await open(page, c, `#/admin/projects/${projectId}`, 'Project');

  await page.getByLabel('Key name').fill('ci');
  await page.getByRole('button', { name: 'Create key' }).click();
  const secret = (await page.getByLabel('New API key secret').innerText()).trim();
  t.equal(await projectStatus(projectId, secret), 200, 'the secret shown is a key the API takes');
  await page.getByRole('cell', { name: 'ci', exact: true }).waitFor();
  await screenshots(t, page, 'admin-project');

  await page.getByRole('button', { name: 'Rename ci' }).click();
  await page.getByLabel('New key name').fill('ci runner');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('cell', { name: 'ci runner', exact: true }).waitFor();
  const keyOf = async () =>
    (await c.adminApi<{ results: Key[] }>(`/projects/${projectId}/api-keys`)).results.find(
      (k) => k.name === 'ci runner',
    );
  t.ok(await keyOf(), 'renamed in the API');

  await page.getByRole('button', { name: 'Revoke ci runner' }).click();
  t.equal(await projectStatus(projectId, secret), 200, 'still working before the confirmation');
  await page.getByRole('button', { name: 'Confirm revoke' }).click();
  await page.getByRole('button', { name: 'Revoke ci runner' }).waitFor({ state: 'detached' });
  t.ok((await keyOf())?.revoked_at, 'revoked in the API');
  t.equal(await projectStatus(projectId, secret), 401, 'the API refuses the revoked key');
  t.equal(await projectStatus(projectId, c.project.key), 200, "the project's other key still works");
  t.notOk(page.url().includes(secret), 'the secret is not in the address');
  t.same(faults, []);
});

t.test("the work page shows the admin API's queue and a failed job's last error", async (t) => {
  // A job for a task no worker runs (it waits), and one marked failed by graphile-worker with its error.
  await rows(c.db, sql`select graphile_worker.add_job('console__never_run', '{}')`);
  const [failed] = await rows<{ id: string }>(
    c.db,
    sql`select id from graphile_worker.add_job('console__never_run', '{}', max_attempts => 1)`,
  );
  await rows(c.db, sql`select graphile_worker.permanently_fail_jobs(array[${failed.id}::bigint], 'provider said no')`);

  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  await signInAdmin(page, c);
  await open(page, c, '#/admin/work', 'Work');
  const queue = (await c.adminApi<{ results: Queue[] }>('/jobs')).results.find((q) => q.task === 'console__never_run');
  t.match(queue, { waiting: 1, failed: 1 }, 'the API counts one waiting and one failed');
  const row = (await tableRows(page, 'Jobs per task')).find((r) => r[0] === 'console__never_run');
  t.same(row?.slice(1, 6), ['1', '0', '0', '0', '1'], 'waiting, scheduled, running, retrying, failed as the API');
  const failedRows = await tableRows(page, 'Failed jobs, newest first');
  t.same(
    failedRows.map((r) => [r[0], r[1], r[3], r[5]]),
    [[failed.id, 'console__never_run', '1 of 1', 'provider said no']],
    'the failed job with its last error',
  );
  await screenshots(t, page, 'admin-work');
  t.same(faults, []);
});

t.test('a user created in a team, searched, changed and deleted on the Users page', async (t) => {
  const team = await c.adminApi<Team>('/teams', 'POST', { name: 'Gadgets Ltd' });
  // A second user of the team, whom the search below must leave out.
  await c.adminApi(`/teams/${team.id}/users`, 'POST', { email: 'bob@elsewhere.test' });
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  await signInAdmin(page, c);
  await open(page, c, '#/admin/users', 'Users');

  const form = page.getByRole('form', { name: 'New user' });
  await form.getByLabel('Team of the new user').selectOption({ label: 'Gadgets Ltd' });
  await form.getByLabel('Email').fill('ada@gadgets.test');
  await form.getByLabel('First name').fill('Ada');
  await form.getByLabel('Usage report').selectOption({ label: 'weekly' });
  await form.getByRole('button', { name: 'Create user' }).click();
  await page.getByRole('cell', { name: 'ada@gadgets.test', exact: true }).waitFor();
  const user = (await c.adminApi<{ results: User[] }>(`/users?team_id=${team.id}`)).results.find(
    (u) => u.email === 'ada@gadgets.test',
  )!;
  t.match(user, { email: 'ada@gadgets.test', first_name: 'Ada', digest_interval: 'WEEKLY' }, 'the API has the user');
  await screenshots(t, page, 'admin-users');

  await page.getByLabel('Search users').fill('gadgets');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByRole('cell', { name: 'bob@elsewhere.test', exact: true }).waitFor({ state: 'detached' });
  const found = (await c.adminApi<{ results: User[] }>('/users?q=gadgets')).results.map((u) => u.email);
  t.same(found, ['ada@gadgets.test'], 'the API finds the one user');
  t.same(
    (await tableRows(page, 'Users')).map((r) => r[0]),
    found,
    'and so does the page',
  );

  await page.getByRole('button', { name: 'Edit ada@gadgets.test' }).click();
  const edit = page.getByRole('form', { name: 'Edit ada@gadgets.test' });
  await edit.getByLabel('New email').fill('ada.l@gadgets.test');
  await edit.getByLabel('Last name').fill('Lovelace');
  await edit.getByLabel('Usage report').selectOption({ label: 'never' });
  await edit.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('cell', { name: 'ada.l@gadgets.test', exact: true }).waitFor();
  t.match(
    await c.adminApi<User>(`/users/${user.id}`),
    { email: 'ada.l@gadgets.test', first_name: 'Ada', last_name: 'Lovelace', digest_interval: null },
    'changed in the API',
  );

  await deleteConfirmed(t, page, { name: 'ada.l@gadgets.test', path: `/users/${user.id}`, id: user.id, what: 'user' });
  t.same(faults, []);
});
