// Signing in to the console in Chromium: the key or token is checked by the API, refused in the API's own words,
// kept by this tab alone (sessionStorage, never localStorage or a URL), and nothing shows without it.
import t from 'tap';
import { projectWithKey } from '../factories.js';
import type { ApiError } from '../helper.js';
import { ADMIN_TOKEN, newTab, signInAdmin, signInProject, startConsole, tabTo } from './browser.js';

const c = await startConsole(t);

/** What the API itself answers to a request with these headers: the words the console must show. */
async function apiMessage(url: string, headers: Record<string, string>) {
  const res = await fetch(`${c.base}${url}`, { headers });
  return { status: res.status, message: ((await res.json()) as ApiError).message };
}

t.test('a project signs in with its id and key; the key stays in this tab and out of URLs', async (t) => {
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));

  await signInProject(page, c);
  const nav = page.getByRole('navigation', { name: 'Project' });
  await nav.waitFor();
  t.ok(await nav.getByRole('link', { name: 'Threads' }).isVisible(), 'the project console nav is shown');
  t.equal(
    await page.getByRole('heading', { level: 1, name: 'Sign in', exact: true }).count(),
    0,
    'the sign-in screen is gone',
  );

  const storage = await page.evaluate(() => ({
    session: JSON.stringify(sessionStorage),
    local: localStorage.length,
  }));
  t.match(storage.session, c.project.key, 'the key is kept in sessionStorage');
  t.equal(storage.local, 0, 'nothing is written to localStorage');
  t.notOk(
    urls.some((u) => u.includes(c.project.key)),
    'no URL the tab requested holds the key',
  );
  t.notOk(page.url().includes(c.project.key), 'the address bar does not hold the key');

  // Another tab of the same browser starts signed out: the key is this tab's alone.
  const other = await page.context().newPage();
  await other.goto(`${c.base}/console/#/p/threads`);
  await other.getByRole('heading', { level: 1, name: 'Sign in', exact: true }).waitFor();
  t.equal(await other.getByRole('navigation', { name: 'Project' }).count(), 0, 'no project page in another tab');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { level: 1, name: 'Sign in', exact: true }).waitFor();
  t.equal(await page.evaluate(() => sessionStorage.length), 0, 'signing out forgets the key');
  t.same(faults, [], 'no script error, nothing refused by the Content-Security-Policy');
});

t.test("a wrong key is refused with the API's own words, and nothing of the project shows", async (t) => {
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  const wrongKey = `${c.project.key.slice(0, -4)}xxxx`;
  const expected = await apiMessage(`/query/v1/projects/${c.project.projectId}/categories/`, { 'x-api-key': wrongKey });
  t.equal(expected.status, 401);

  await signInProject(page, c, { projectId: c.project.projectId, key: wrongKey });
  const alert = page.getByRole('alert');
  await alert.waitFor();
  t.match(await alert.textContent(), expected.message, `the alert says the API's message: ${expected.message}`);
  t.equal(await page.getByRole('navigation', { name: 'Project' }).count(), 0, 'no project page is shown');
  t.equal(await page.evaluate(() => sessionStorage.length), 0, 'the refused key is not kept');

  // Another project's real key: the API refuses it for this project (403), in its words too.
  const other = await projectWithKey(c.db);
  const forbidden = await apiMessage(`/query/v1/projects/${c.project.projectId}/categories/`, {
    'x-api-key': other.key,
  });
  t.equal(forbidden.status, 403);
  await page.getByLabel('API key').fill(other.key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: forbidden.message }).waitFor();
  t.equal(await page.getByRole('navigation', { name: 'Project' }).count(), 0, 'still no project page');
  t.same(faults, []);
});

t.test('the back office signs in with ADMIN_TOKEN; a wrong token gets the API’s words', async (t) => {
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  const expected = await apiMessage('/admin/v1/teams?limit=1', { authorization: 'Bearer not-the-token' });
  t.equal(expected.status, 401);

  await signInAdmin(page, c, 'not-the-token');
  await page.getByRole('alert').filter({ hasText: expected.message }).waitFor();
  t.equal(await page.getByRole('navigation', { name: 'Back office' }).count(), 0, 'no back-office page is shown');

  await page.getByLabel('Admin token').fill('');
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const nav = page.getByRole('navigation', { name: 'Back office' });
  await nav.waitFor();
  t.ok(await nav.getByRole('link', { name: 'Teams' }).isVisible(), 'the back-office nav is shown');
  t.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');

  // The project console is a separate sign-in: the admin token does not open it.
  await page.goto(`${c.base}/console/#/p/overview`);
  await page.getByLabel('Project id').waitFor();
  t.same(faults, []);
});

t.test('every console response carries the Content-Security-Policy', async (t) => {
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page } = tab;
  const policies = new Map<string, string | undefined>();
  page.on('response', (r) => {
    if (r.url().includes('/console/')) policies.set(new URL(r.url()).pathname, r.headers()['content-security-policy']);
  });
  await signInProject(page, c);
  await page.getByRole('navigation', { name: 'Project' }).waitFor();
  for (const file of ['/console/', '/console/app.js', '/console/style.css', '/console/vendor/preact.js'])
    t.match(policies.get(file), /script-src 'self'/, `${file} is served with the policy`);
});

t.test('by keyboard alone: sign in, go to a page from the nav, create and delete a category', async (t) => {
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  await page.goto(`${c.base}/console/#/p/overview`);

  t.ok((await tabTo(page, page.getByLabel('Project id'))).ring, 'the focused field shows its focus');
  await page.keyboard.type(c.project.projectId);
  await tabTo(page, page.getByLabel('API key'));
  await page.keyboard.type(c.project.key);
  await page.keyboard.press('Enter');
  const nav = page.getByRole('navigation', { name: 'Project' });
  await nav.waitFor();

  const link = nav.getByRole('link', { name: 'Categories' });
  t.ok((await tabTo(page, link)).ring, 'the focused link shows its focus');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Categories', exact: true }).waitFor();

  const form = page.getByRole('form', { name: 'New category' });
  await tabTo(page, form.getByLabel('Name'));
  await page.keyboard.type('Keyboard');
  await page.keyboard.press('Enter');
  await page.getByRole('cell', { name: 'Keyboard', exact: true }).waitFor();
  const names = async () =>
    (await c.projectApi<{ results: { name: string }[] }>('/categories/')).results.map((x) => x.name);
  t.ok((await names()).includes('Keyboard'), 'created in the API');

  const remove = page.getByRole('button', { name: 'Delete Keyboard' });
  t.ok((await tabTo(page, remove)).ring, 'the focused button shows its focus');
  await page.keyboard.press('Enter');
  // The confirmation takes the focus: Enter again confirms.
  await page.getByRole('button', { name: 'Confirm delete' }).waitFor();
  t.ok(
    await page.getByRole('button', { name: 'Confirm delete' }).evaluate((el) => el === document.activeElement),
    'the confirmation has the focus',
  );
  await page.keyboard.press('Enter');
  await page.getByRole('cell', { name: 'Keyboard', exact: true }).waitFor({ state: 'detached' });
  t.notOk((await names()).includes('Keyboard'), 'deleted in the API');
  t.same(faults, []);
});

t.test('signed out, no route asks the API for anything: each shows its sign-in', async (t) => {
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  const calls: string[] = [];
  page.on('request', (r) => {
    const p = new URL(r.url()).pathname;
    if (p.startsWith('/query/') || p.startsWith('/admin/')) calls.push(p);
  });
  for (const [route, field] of [
    ['#/p/threads', 'API key'],
    ['#/p/sources', 'API key'],
    ['#/p/chat', 'API key'],
    ['#/admin/work', 'Admin token'],
    ['#/admin/projects', 'Admin token'],
  ]) {
    await page.goto(`${c.base}/console/${route}`);
    await page.reload();
    await page.getByLabel(field).waitFor();
    t.equal(await page.getByRole('navigation').count(), 0, `${route}: no page, only the sign-in`);
  }
  t.same(calls, [], 'no API call was made');
  t.same(faults, []);
});
