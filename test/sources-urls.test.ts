// How the crawler spells URLs, bounds a source to its part of a site, names its documents and reads robots.txt:
// pure functions, no network.
import t from 'tap';
import { crawlScope, documentPath, normaliseUrl } from '../src/sources/urls.js';
import { parseRobots } from '../src/sources/robots.js';

t.test('normaliseUrl writes one URL one way', (t) => {
  t.equal(
    normaliseUrl('HTTPS://Docs.Example.COM/Guide'),
    'https://docs.example.com/Guide',
    'scheme and host lowercased',
  );
  t.equal(normaliseUrl('http://x.dev:80/a'), 'http://x.dev/a', 'default http port dropped');
  t.equal(normaliseUrl('https://x.dev:443/a'), 'https://x.dev/a', 'default https port dropped');
  t.equal(normaliseUrl('https://x.dev:8443/a'), 'https://x.dev:8443/a', 'other ports kept');
  t.equal(normaliseUrl('https://x.dev/a#install'), 'https://x.dev/a', 'fragment dropped');
  t.equal(normaliseUrl('https://x.dev/a?b=1&c=2#x'), 'https://x.dev/a?b=1&c=2', 'query kept');
  t.equal(normaliseUrl('https://x.dev/a?'), 'https://x.dev/a', 'an empty query is no query');
  t.equal(normaliseUrl('https://x.dev'), 'https://x.dev/', 'empty path is /');
  t.equal(normaliseUrl('https://x.dev/%7Euser/%61%62c'), 'https://x.dev/~user/abc', 'unreserved characters decoded');
  t.equal(
    normaliseUrl('https://x.dev/a%2fb%3a?q=%e2%82%ac'),
    'https://x.dev/a%2Fb%3A?q=%E2%82%AC',
    'other hex uppercased',
  );
  t.equal(normaliseUrl('https://x.dev/a/./b/../c'), 'https://x.dev/a/c', 'dot segments resolved');
  t.end();
});

t.test('normaliseUrl resolves links and refuses what is not http(s)', (t) => {
  const base = 'https://x.dev/docs/guide/intro.html';
  t.equal(normaliseUrl('setup.html', base), 'https://x.dev/docs/guide/setup.html');
  t.equal(normaliseUrl('../api/', base), 'https://x.dev/docs/api/');
  t.equal(normaliseUrl('/blog/', base), 'https://x.dev/blog/');
  t.equal(normaliseUrl('//other.dev/x', base), 'https://other.dev/x', 'scheme-relative');
  t.equal(normaliseUrl('#section', base), base, 'a fragment link is the page itself');
  t.equal(normaliseUrl('  setup.html\n', base), 'https://x.dev/docs/guide/setup.html', 'whitespace around href');
  for (const raw of ['mailto:a@x.dev', 'javascript:void(0)', 'ftp://x.dev/f', 'data:text/plain,hi', 'tel:123'])
    t.equal(normaliseUrl(raw, base), null, raw);
  t.equal(normaliseUrl('http://[bad'), null, 'not a URL');
  t.equal(normaliseUrl('relative/only'), null, 'relative without a base');
  t.end();
});

t.test('crawlScope: same origin, under the start directory', (t) => {
  const scope = crawlScope('https://x.dev/docs/index.html', [], []);
  t.equal(scope.origin, 'https://x.dev');
  t.equal(scope.directory, 'https://x.dev/docs/');
  t.equal(crawlScope('https://x.dev/docs/', [], []).directory, 'https://x.dev/docs/');
  t.equal(crawlScope('https://x.dev/docs', [], []).directory, 'https://x.dev/', 'no trailing slash: the parent');
  t.equal(crawlScope('HTTPS://X.dev:443/docs/#top', [], []).directory, 'https://x.dev/docs/', 'start URL normalised');
  t.ok(scope.contains('https://x.dev/docs/guide/setup.html'));
  t.ok(scope.contains('https://x.dev/docs/'));
  t.ok(scope.contains('HTTPS://X.DEV/docs/a#b'), 'any spelling of an in-scope URL');
  t.ok(scope.contains('https://x.dev/docs/search?q=1'), 'a query does not leave scope');
  t.notOk(scope.contains('https://x.dev/blog/post'), 'outside the directory');
  t.notOk(scope.contains('https://x.dev/docsearch'), 'a longer name is not under the directory');
  t.notOk(scope.contains('http://x.dev/docs/a'), 'another scheme is another origin');
  t.notOk(scope.contains('https://www.x.dev/docs/a'), 'another host');
  t.notOk(scope.contains('https://x.dev:8080/docs/a'), 'another port');
  t.notOk(scope.contains('mailto:a@x.dev'));
  t.notOk(scope.contains('not a url'));
  t.throws(() => crawlScope('ftp://x.dev/', [], []), 'a start URL must be http(s)');
  t.end();
});

t.test('crawlScope: include narrows (absolute or relative prefixes), exclude removes', (t) => {
  const scope = crawlScope('https://x.dev/docs/', ['/docs/api/', 'guide/'], ['/docs/api/v1/', 'guide/drafts']);
  t.ok(scope.contains('https://x.dev/docs/api/index.html'), 'absolute include');
  t.ok(scope.contains('https://x.dev/docs/guide/start'), 'include relative to the directory');
  t.notOk(scope.contains('https://x.dev/docs/changelog'), 'not included');
  t.notOk(scope.contains('https://x.dev/docs/api/v1/old'), 'absolute exclude');
  t.notOk(scope.contains('https://x.dev/docs/guide/drafts-2/x'), 'relative exclude, a prefix');
  t.ok(crawlScope('https://x.dev/docs/', [], ['api/']).contains('https://x.dev/docs/guide/'), 'exclude alone');
  t.notOk(crawlScope('https://x.dev/docs/', [], ['api/']).contains('https://x.dev/docs/api/x'));
  t.notOk(
    crawlScope('https://x.dev/docs/', ['/blog/'], []).contains('https://x.dev/blog/post'),
    'include cannot widen past the directory',
  );
  t.ok(crawlScope('https://x.dev/docs/', ['', '  '], []).contains('https://x.dev/docs/x'), 'blank prefixes ignored');
  t.ok(
    crawlScope('https://x.dev/docs/', ['%7Eusers/'], []).contains('https://x.dev/docs/~users/a'),
    'prefix normalised',
  );
  t.end();
});

t.test('documentPath is the pathname and query', (t) => {
  t.equal(documentPath('https://x.dev/docs/a.html'), '/docs/a.html');
  t.equal(documentPath('https://x.dev/docs/search?q=1&p=2'), '/docs/search?q=1&p=2');
  t.equal(documentPath('https://x.dev/'), '/');
  t.equal(documentPath(normaliseUrl('https://x.dev/a?#b')!), '/a');
  t.end();
});

t.test('parseRobots: docs-chat rules, else the rules for *, and the sitemaps', (t) => {
  const text = [
    'User-agent: *',
    'Disallow: /docs/private/',
    'Disallow: /docs/search',
    '',
    'User-agent: other-bot',
    'Disallow: /',
    '',
    'Sitemap: https://x.dev/sitemap.xml',
    'Sitemap: https://x.dev/docs/sitemap-2.xml',
  ].join('\n');
  const robots = parseRobots('https://x.dev/robots.txt', text);
  t.notOk(robots.allowed('https://x.dev/docs/private/a'));
  t.notOk(robots.allowed('https://x.dev/docs/search?q=x'), 'a prefix covers queries');
  t.ok(robots.allowed('https://x.dev/docs/guide/'));
  t.ok(robots.allowed('https://other.dev/docs/private/a'), 'rules of another origin do not apply');
  t.same(robots.sitemaps, ['https://x.dev/sitemap.xml', 'https://x.dev/docs/sitemap-2.xml']);

  const own = parseRobots(
    'https://x.dev/robots.txt',
    'User-agent: *\nDisallow: /\n\nUser-agent: docs-chat\nDisallow: /docs/internal/\nAllow: /\n',
  );
  t.ok(own.allowed('https://x.dev/docs/guide/'), 'a docs-chat group replaces the rules for *');
  t.notOk(own.allowed('https://x.dev/docs/internal/x'));
  t.same(own.sitemaps, []);

  const none = parseRobots('https://x.dev/robots.txt', null);
  t.ok(none.allowed('https://x.dev/anything'), 'no robots.txt allows everything');
  t.same(none.sitemaps, []);
  t.ok(parseRobots('https://x.dev/robots.txt', '').allowed('https://x.dev/a'), 'an empty robots.txt too');
  t.end();
});
