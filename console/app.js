// The console's one page: a hash router, the two sign-ins, the nav, and the route table. Pages are loaded
// when first shown (console/project/<page>.js, console/admin/<page>.js), each exporting a default component.
import { html, render, useState, useEffect, useRef, useErrorBoundary } from './vendor/preact.js';
import {
  adminApi,
  adminSession,
  projectApi,
  projectSession,
  setAdminSession,
  setProjectSession,
  signOut,
} from './lib/api.js';
import { ErrorBox, Field } from './lib/ui.js';

const PROJECT_NAV = [
  ['/p/overview', 'Overview'],
  ['/p/threads', 'Threads'],
  ['/p/categories', 'Categories'],
  ['/p/relabel', 'Relabel'],
  ['/p/sources', 'Knowledge sources'],
  ['/p/search', 'Search'],
  ['/p/webhooks', 'Webhooks'],
  ['/p/chat', 'Try it'],
  ['/p/export', 'Export'],
];

const ADMIN_NAV = [
  ['/admin/teams', 'Teams'],
  ['/admin/users', 'Users'],
  ['/admin/projects', 'Projects'],
  ['/admin/work', 'Work'],
];

/** Route pattern → the page's module; `:id` becomes the page's `id` prop. */
const ROUTES = [
  ['/p/overview', () => import('./project/overview.js')],
  ['/p/threads', () => import('./project/threads.js')],
  ['/p/threads/:id', () => import('./project/thread.js')],
  ['/p/categories', () => import('./project/categories.js')],
  ['/p/relabel', () => import('./project/relabel.js')],
  ['/p/sources', () => import('./project/sources.js')],
  ['/p/sources/:id', () => import('./project/source.js')],
  ['/p/search', () => import('./project/search.js')],
  ['/p/webhooks', () => import('./project/webhooks.js')],
  ['/p/chat', () => import('./project/chat.js')],
  ['/p/export', () => import('./project/export.js')],
  ['/admin/teams', () => import('./admin/teams.js')],
  ['/admin/users', () => import('./admin/users.js')],
  ['/admin/projects', () => import('./admin/projects.js')],
  ['/admin/projects/:id', () => import('./admin/project.js')],
  ['/admin/work', () => import('./admin/work.js')],
];

function match(path) {
  const parts = path.split('/').filter(Boolean);
  for (const [pattern, load] of ROUTES) {
    const want = pattern.split('/').filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    if (
      want.every((w, i) => (w.startsWith(':') ? (params[w.slice(1)] = decodeURIComponent(parts[i])) : w === parts[i]))
    )
      return { pattern, load, params };
  }
  return null;
}

const currentPath = () => location.hash.replace(/^#/, '').split('?')[0] || '/p/overview';

function useHashPath() {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const onChange = () => setPath(currentPath());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return path;
}

/** The page module of a route, loaded once it is asked for. */
function RoutePage({ route }) {
  const [loaded, setLoaded] = useState({ pattern: null, Page: null, error: null });
  useEffect(() => {
    let gone = false;
    route.load().then(
      (mod) => gone || setLoaded({ pattern: route.pattern, Page: mod.default, error: null }),
      (error) => gone || setLoaded({ pattern: route.pattern, Page: null, error }),
    );
    return () => (gone = true);
  }, [route.pattern]);
  if (loaded.error)
    return html`<h1>Not available</h1>
      <${ErrorBox} error=${{ message: `this page could not be loaded (${loaded.error.message})` }} />`;
  if (loaded.pattern !== route.pattern || !loaded.Page) return html`<p aria-busy="true">Loading…</p>`;
  const { Page } = loaded;
  return html`<${Guard} key=${JSON.stringify(route.params)}><${Page} ...${route.params} /><//>`;
}

/** A page that throws while rendering says so in words instead of leaving the previous page on screen. */
function Guard({ children }) {
  const [error] = useErrorBoundary();
  if (error)
    return html`<h1>Something went wrong</h1>
      <${ErrorBox} error=${{ message: `this page failed: ${error.message}` }} />`;
  return children;
}

function SignIn({ admin, onDone }) {
  const [projectId, setProjectId] = useState('');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    // One real API call checks what was typed; a refusal shows the API's own message.
    if (admin) setAdminSession(secret.trim());
    else setProjectSession(projectId.trim(), secret.trim());
    try {
      await (admin ? adminApi('/teams?limit=1') : projectApi('/categories/'));
      onDone();
    } catch (err) {
      signOut(admin ? 'admin' : 'project');
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<main id="main" class="signin">
    <h1>${admin ? 'Back office sign in' : 'Sign in'}</h1>
    <p>
      ${
        admin
          ? 'Sign in with the server’s ADMIN_TOKEN. It is kept for this browser tab only.'
          : 'Sign in with a project id and one of its API keys. The key is kept for this browser tab only.'
      }
    </p>
    <form onSubmit=${submit} aria-busy=${busy}>
      ${
        !admin &&
        html`<${Field}
          label="Project id"
          name="project"
          required
          autocomplete="off"
          spellcheck="false"
          value=${projectId}
          onInput=${(e) => setProjectId(e.target.value)}
        />`
      }
      <${Field}
        label=${admin ? 'Admin token' : 'API key'}
        type="password"
        required
        autocomplete="off"
        value=${secret}
        onInput=${(e) => setSecret(e.target.value)}
      />
      <${ErrorBox} error=${error} />
      <button type="submit" class="primary" disabled=${busy}>Sign in</button>
    </form>
    <p>${admin ? html`<a href="#/p/overview">Project console</a>` : html`<a href="#/admin/teams">Back office</a>`}</p>
  </main>`;
}

function Shell({ admin, path, onSignOut }) {
  const nav = admin ? ADMIN_NAV : PROJECT_NAV;
  const route = match(path);
  const mainRef = useRef(null);
  useEffect(() => {
    // A keyboard or screen-reader user lands on the new page, not on the link they left.
    const h1 = mainRef.current?.querySelector('h1');
    if (h1 && document.activeElement?.closest('nav.site')) {
      h1.setAttribute('tabindex', '-1');
      h1.focus({ preventScroll: false });
    }
  });
  const session = admin ? null : projectSession();
  return html`<a class="skip" href="#main" onClick=${(e) => (e.preventDefault(), mainRef.current?.focus())}
      >Skip to content</a
    >
    <header class="top">
      <span class="brand">${admin ? 'Back office' : 'Project console'}</span>
      ${session && html`<span class="who" title="Project">${session.projectId}</span>`}
      <button type="button" onClick=${onSignOut}>Sign out</button>
    </header>
    <nav class="site" aria-label=${admin ? 'Back office' : 'Project'}>
      <ul>
        ${nav.map(
          ([to, name]) =>
            html`<li>
              <a href=${`#${to}`} aria-current=${path === to || path.startsWith(`${to}/`) ? 'page' : undefined}
                >${name}</a
              >
            </li>`,
        )}
      </ul>
    </nav>
    <main id="main" ref=${mainRef} tabindex="-1">
      ${
        route
          ? html`<${RoutePage} route=${route} key=${route.pattern} />`
          : html`<h1>Not found</h1>
              <p>No page at ${path}.</p>`
      }
    </main>`;
}

function App() {
  const path = useHashPath();
  const [, setRound] = useState(0);
  const admin = path.startsWith('/admin');
  const signedIn = admin ? adminSession() : projectSession();
  const refresh = () => setRound((n) => n + 1);
  if (!signedIn) return html`<${SignIn} admin=${admin} onDone=${refresh} key=${admin ? 'a' : 'p'} />`;
  return html`<${Shell} admin=${admin} path=${path} onSignOut=${() => (signOut(), refresh())} />`;
}

render(html`<${App} />`, document.getElementById('app'));
