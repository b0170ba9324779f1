import { readFile } from 'node:fs/promises';
import t, { type Test } from 'tap';
import { CONSOLE_CSP } from '../src/plugins/console.js';
import { build, type ApiError } from './helper.js';

const securityHeaders = (t: Test, headers: Record<string, unknown>, what: string) => {
  t.equal(headers['content-security-policy'], CONSOLE_CSP, `${what}: CSP`);
  t.equal(headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
  t.equal(headers['referrer-policy'], 'no-referrer', `${what}: no referrer`);
};

t.test('the console page, its assets and the vendored libraries are served with the security headers', async (t) => {
  const { app } = await build(t);

  const bare = await app.inject('/console');
  t.equal(bare.statusCode, 301, 'the bare path moves under the slash, where relative links resolve');
  t.equal(bare.headers.location, '/console/');

  const index = await app.inject('/console/');
  t.equal(index.statusCode, 200);
  t.match(index.headers['content-type'], /^text\/html/);
  t.match(index.body, /<script type="module" src="app.js"><\/script>/);
  securityHeaders(t, index.headers, 'index');

  for (const [path, type] of [
    ['/console/app.js', /javascript/],
    ['/console/style.css', /^text\/css/],
    ['/console/lib/api.js', /javascript/],
    ['/console/lib/ui.js', /javascript/],
  ] as const) {
    const res = await app.inject(path);
    t.equal(res.statusCode, 200, path);
    t.match(res.headers['content-type'], type, `${path} type`);
    securityHeaders(t, res.headers, path);
  }

  const preact = await app.inject('/console/vendor/preact.js');
  t.equal(preact.statusCode, 200);
  t.match(preact.headers['content-type'], /javascript/);
  t.match(preact.body, /export\{[^}]*\bhtml\b[^}]*\}/, 'Preact with htm, as one ES module');
  t.notMatch(preact.body, /from\s*["'][^."']/, 'no bare import a browser could not resolve');
  securityHeaders(t, preact.headers, 'vendor');
  const uplot = await app.inject('/console/vendor/uPlot.esm.js');
  t.equal(uplot.statusCode, 200);
  t.match(uplot.body, /export\s*\{[^}]*default/);
  const css = await app.inject('/console/vendor/uPlot.min.css');
  t.equal(css.statusCode, 200);
  t.match(css.headers['content-type'], /^text\/css/);
});

t.test(
  'an unknown console file is a 404 in the API error shape, with the headers; nothing outside is served',
  async (t) => {
    const { app } = await build(t);
    const missing = await app.inject('/console/nothing-here.js');
    t.equal(missing.statusCode, 404);
    t.match(missing.json<ApiError>(), { statusCode: 404, error: 'Not Found', code: 'ROUTE_NOT_FOUND' });
    const vendor = await app.inject('/console/vendor/other.js');
    t.equal(vendor.statusCode, 404, 'only the named vendor files');
    const outside = await app.inject('/console/..%2fpackage.json');
    t.not(outside.statusCode, 200, 'no path out of the console folder');
    t.notMatch(outside.body, /"dependencies"/);
  },
);

t.test('index.html loads no inline script or style: the CSP would refuse them', async (t) => {
  const index = await readFile(new URL('../console/index.html', import.meta.url), 'utf8');
  const scripts = [...index.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  t.ok(scripts.length > 0);
  for (const [, attrs, body] of scripts) {
    t.match(attrs, /\bsrc=/, 'every script is a file');
    t.equal(body.trim(), '', 'with no inline code');
  }
  t.notMatch(index, /<style\b/, 'no style element');
  t.notMatch(index, /\sstyle=/, 'no style attribute');
  t.notMatch(index, /\son[a-z]+=/i, 'no inline event handler');
  t.notMatch(index, /https?:\/\//, 'nothing from another origin');
});
