// Extraction and chunking of documentation pages: the words of the main content by heading, never the site's
// navigation or footer; chunks sized for search, addressed by the section's anchor; a hash of the words alone.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { extract, type Extracted, type Section } from '../src/sources/extract.js';
import { chunkDocument, contentHash } from '../src/sources/chunk.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/sources/${name}`, import.meta.url), 'utf8');
const html = (body: string, url: string | null = 'https://spam.dev/docs/library/spam.html') =>
  extract('text/html', body, { url, fallbackTitle: 'Fallback title' });
const allText = (doc: Extracted) => doc.sections.map((s) => [...s.headings, s.text].join('\n')).join('\n');

t.test('a Sphinx page: its body by section, without the sidebar, related bar, search, footer or ¶ signs', (t) => {
  const doc = html(fixture('sphinx.html'));
  t.equal(doc.title, 'Spam Library — Spam 2.0 documentation');
  t.same(
    doc.sections.map((s) => [s.headings.join(' › '), s.anchor]),
    [
      ['Spam Library', 'spam-library'],
      ['Spam Library › Installing', 'installing'],
      ['Spam Library › Functions', 'functions'],
      ['Spam Library › Functions › spam.fry', 'spam.fry'],
      // The text after an API entry belongs to the heading around it again.
      ['Spam Library › Functions', 'functions'],
    ],
  );
  const text = allText(doc);
  for (const chrome of ['Navigation', 'Table of Contents', 'Sidebar', 'Previous topic', 'Introduction', 'Copyright']) {
    t.notOk(text.includes(chrome), `no "${chrome}"`);
  }
  t.notOk(text.includes('¶'), 'no headerlink signs');
  t.equal(
    doc.sections[0].text.split('\n\n')[0].slice(0, 56),
    'The spam library cooks canned meat & eggs for breakfast.',
  );
  t.ok(
    doc.sections[1].text.includes('pip install spam\nif ready:\n    cook(eggs)'),
    'code keeps lines and indentation',
  );
  t.ok(doc.sections[1].text.includes('- Works on Linux.\n\n- Works on macOS too.'), 'list items, inline code joined');
  t.match(doc.sections[3].text, /^spam\.fry\(eggs\)\n\nFry the eggs until golden\./, 'the signature, then its text');
  t.ok(doc.sections[4].text.endsWith('Dish | Minutes\n\nOmelette | 5'), 'a table row per paragraph');
  // Navigation links count (that is how pages are found); links within the page do not.
  t.same(doc.links, [
    'https://spam.dev/docs/genindex.html',
    'https://spam.dev/docs/index.html',
    'https://spam.dev/docs/contents.html',
    'https://spam.dev/docs/library/intro.html',
  ]);
  t.equal(doc.canonical, null);
  t.equal(doc.noindex, false);
  t.end();
});

t.test('the chunks of a page: section paths, anchor URLs, the document title, positions in order', (t) => {
  const chunks = chunkDocument(html(fixture('sphinx.html')), 'https://spam.dev/docs/library/spam.html');
  t.same(
    chunks.map((c) => [c.position, c.section, c.url]),
    [
      [0, 'Spam Library', 'https://spam.dev/docs/library/spam.html#spam-library'],
      [1, 'Spam Library › Installing', 'https://spam.dev/docs/library/spam.html#installing'],
      [2, 'Spam Library › Functions › spam.fry', 'https://spam.dev/docs/library/spam.html#spam.fry'],
    ],
  );
  t.ok(chunks.every((c) => c.title === 'Spam Library — Spam 2.0 documentation'));
  // The short "Functions" introduction joins the next chunk, under its own heading path, its heading as a line.
  t.match(chunks[1].body, /\n\nFunctions\n\nThe module defines these functions\.$/);
  // The short text after the API entry joins the entry before it, without repeating the heading.
  t.match(chunks[2].body, /otherwise they stick\.[^]*\n\nEvery function raises BurntError/);
  t.notMatch(chunks[2].body, /\nFunctions\n/);
  t.end();
});

t.test('a page with <main>: header, nav, aside, footer, scripts and hidden text left out', (t) => {
  const doc = html(fixture('main.html'), 'https://example.dev/guide/start.html');
  t.equal(doc.title, 'Getting started');
  t.same(doc.sections, [
    { headings: ['Getting started'], anchor: 'getting-started', text: 'Create a project first. Then add a key.' },
    // The anchor of a heading without an id: the <a id> inside it. A <br> is a line break; list items are
    // numbered as the list says.
    {
      headings: ['Getting started', 'API keys'],
      anchor: 'keys',
      text: 'Keys are secret.\nRotate them yearly.\n\n3. Open the settings.\n\n4. Press New key.\n\n- Copy it.',
    },
  ]);
  // Links resolve against <base href>, navigation and footer included.
  t.same(doc.links, [
    'https://cdn.example.dev/',
    'https://cdn.example.dev/guide/install.html',
    'https://cdn.example.dev/guide/api/',
    'https://other.example.org/terms',
  ]);
  const chunks = chunkDocument(doc, 'https://example.dev/guide/start.html');
  t.equal(chunks.length, 1, 'two short sections, one chunk');
  t.equal(chunks[0].section, '', 'the first heading repeats the title: left out of the path');
  t.equal(chunks[0].url, 'https://example.dev/guide/start.html#getting-started');
  t.equal(
    chunks[0].body,
    'Create a project first. Then add a key.\n\nAPI keys\n\nKeys are secret.\nRotate them yearly.' +
      '\n\n3. Open the settings.\n\n4. Press New key.\n\n- Copy it.',
  );
  t.end();
});

t.test('an empty <main> (filled by scripts) gives way to the body; deep nesting is no problem', (t) => {
  const shell = html(
    '<body><nav>Menu</nav><main id="app"></main><div class="content"><h2>Real</h2><p>Words.</p></div></body>',
  );
  t.same(shell.sections, [{ headings: ['Real'], anchor: null, text: 'Words.' }]);
  const deep = html(`<body>${'<div>'.repeat(20_000)}<h2>Deep</h2><p>Down here.</p>${'</div>'.repeat(20_000)}</body>`);
  t.same(deep.sections, [{ headings: ['Deep'], anchor: null, text: 'Down here.' }]);
  const numbered = html(
    '<main><table class="highlighttable"><tr><td class="linenos"><div class="linenodiv"><pre>1\n2</pre></div></td>' +
      '<td class="code"><div class="highlight"><pre>a = 1\n  b = 2\n</pre></div></td></tr></table></main>',
  );
  t.same(numbered.sections, [{ headings: [], anchor: null, text: 'a = 1\n  b = 2' }], 'code with line numbers');
  // PostgreSQL text cannot hold NUL: none survives, in a heading, an id, a paragraph or code.
  const nul = html('<title>A\u0000B</title><h2 id="x\u0000y">T\u0000x</h2><p>a\u0000b</p><pre>c\u0000d</pre>');
  t.notOk(JSON.stringify([nul, chunkDocument(nul, 'https://x.dev/')]).includes('\\u0000'));
  t.same(nul.title, 'A B');
  t.same(nul.sections[0].headings, ['T x']);
  t.same(nul.sections[0].anchor, 'xy');
  t.end();
});

t.test('robots noindex and the canonical link', (t) => {
  const draft = html(fixture('noindex.html'), 'https://example.dev/a/draft.html');
  t.equal(draft.noindex, true, 'name and content in any case, among other rules');
  t.same(draft.links, ['https://example.dev/a/next.html'], 'a noindex page still gives its links');
  const ours = html('<meta name="docs-chat" content="noindex"><p>x</p>');
  t.equal(ours.noindex, true, 'the crawler’s own name counts too');
  t.equal(html('<meta name="robots" content="none"><p>x</p>').noindex, true);
  t.equal(html('<meta name="robots" content="nofollow"><p>x</p>').noindex, false);
  t.equal(html('<meta name="googlebot" content="noindex"><p>x</p>').noindex, false, 'another crawler’s rule');

  const moved = html(fixture('canonical.html'), 'https://example.dev/v1/old/page.html');
  t.equal(moved.canonical, 'https://example.dev/v1/v2/page.html', 'resolved against the page');
  t.equal(moved.noindex, false);
  t.same(moved.sections, [
    { headings: ['Moved content'], anchor: null, text: 'This page also lives at its canonical address.' },
  ]);
  t.equal(html('<p>No head at all</p>', null).title, 'Fallback title');
  t.end();
});

t.test('markdown: headings become sections with GitHub anchors; lists, code, tables and links kept', (t) => {
  const doc = extract('text/markdown', fixture('guide.md'), {
    url: 'https://example.dev/docs/guide.md',
    fallbackTitle: 'guide.md',
  });
  t.equal(doc.title, 'The Guide', 'the front matter title');
  t.same(
    doc.sections.map((s) => [s.headings, s.anchor]),
    [
      [['Guide'], 'guide'],
      [['Guide', 'Usage & Setup'], 'usage--setup'],
      [['Guide', 'Usage & Setup'], 'usage--setup-1'],
      [['Guide', 'Usage & Setup', 'Übersicht: 100% ready?'], 'übersicht-100-ready'],
    ],
  );
  t.equal(doc.sections[0].text, 'Read this first. See the API and an anchor.');
  t.equal(
    doc.sections[1].text,
    '1. Install the package.\n\n2. Configure it:\n\n  - set TOKEN\n\n  - restart\n\ndef main():\n    return 42',
  );
  t.equal(doc.sections[2].text, 'Option | Default\n\nport | 8080');
  t.notOk(allText(doc).includes('layout: page'), 'front matter is not text');
  t.same(doc.links, ['https://example.dev/docs/api/reference.md'], 'resolved; in-page anchors left out');
  const bare = extract(
    'text/markdown',
    'Some text.\n\n# First heading\n\n<div class="note">\n<p>Note words</p>\n<script>track()</script>\n</div>\n\nMore.',
    { url: null, fallbackTitle: 'x.md' },
  );
  t.equal(bare.title, 'First heading', 'no front matter: the first h1');
  t.same(bare.sections, [
    { headings: [], anchor: null, text: 'Some text.' },
    { headings: ['First heading'], anchor: 'first-heading', text: 'Note words\n\nMore.' },
  ]);
  t.end();
});

t.test('plain text: one section, paragraphs on blank lines, lines kept', (t) => {
  const doc = extract('text/plain', fixture('notes.txt'), { url: null, fallbackTitle: 'notes.txt' });
  t.same(doc, {
    title: 'notes.txt',
    sections: [
      { headings: [], anchor: null, text: 'Release notes\nversion 1.2\n\nFixed the frobnicator.\n\nAdded a flag.' },
    ],
    links: [],
    canonical: null,
    noindex: false,
  });
  t.same(chunkDocument(doc, null)[0].url, null, 'no URL for an uploaded file');
  t.end();
});

const sentence = (i: number) => `Sentence number ${i} tells the reader one more useful thing about the topic.`;
const paragraph = (n: number, from = 0) => Array.from({ length: n }, (_, i) => sentence(from + i)).join(' ');
const doc = (sections: Section[]): Extracted => ({ title: 'T', sections, links: [], canonical: null, noindex: false });

t.test('a long section is cut on paragraph boundaries, a giant paragraph on sentences', (t) => {
  const paragraphs = Array.from({ length: 12 }, (_, i) => paragraph(4, i * 4));
  const long = { headings: ['Guide', 'Long'], anchor: 'long', text: paragraphs.join('\n\n') };
  const chunks = chunkDocument(doc([long]), 'https://x.dev/p');
  t.ok(chunks.length >= 3, `${chunks.length} chunks`);
  t.ok(
    chunks.every((c) => c.body.length <= 1500 && c.section === 'Guide › Long' && c.url === 'https://x.dev/p#long'),
    'every piece within size, under the section’s path and anchor',
  );
  t.same(
    chunks.flatMap((c) => c.body.split('\n\n')),
    paragraphs,
    'every paragraph whole, once, in order',
  );

  const giant = { headings: ['Giant'], anchor: null, text: paragraph(60) };
  const pieces = chunkDocument(doc([giant]), 'https://x.dev/p');
  t.ok(pieces.length >= 3 && pieces.every((c) => c.body.length <= 1500));
  t.ok(
    pieces.every((c) => c.body.endsWith('topic.')),
    'cut after a sentence',
  );
  t.equal(pieces.map((c) => c.body).join(' '), giant.text, 'nothing lost');

  const word = { headings: ['Word'], anchor: null, text: 'x'.repeat(4000) };
  t.same(
    chunkDocument(doc([word]), null).map((c) => c.body.length),
    [1500, 1500, 1000],
    'no space at all: cut at the size',
  );

  const code = {
    headings: ['Code'],
    anchor: null,
    text: Array.from({ length: 200 }, (_, i) => `x${i} = f(${i})`).join('\n'),
  };
  const lines = chunkDocument(doc([code]), null);
  t.ok(lines.length >= 2);
  t.equal(lines.map((c) => c.body).join('\n'), code.text, 'code cut at line ends');
  t.end();
});

t.test('short sections join their neighbour; the path is the first one’s', (t) => {
  const chunks = chunkDocument(
    doc([
      { headings: ['A'], anchor: 'a', text: 'Tiny intro.' },
      { headings: ['A', 'B'], anchor: 'b', text: 'Also tiny.' },
      { headings: ['A', 'C'], anchor: 'c', text: paragraph(4) },
      { headings: ['A', 'D'], anchor: 'd', text: paragraph(4, 10) },
      { headings: ['A', 'E'], anchor: 'e', text: 'Short end.' },
    ]),
    'https://x.dev/p',
  );
  t.same(
    chunks.map((c) => [c.section, c.url]),
    [
      ['A', 'https://x.dev/p#a'],
      ['A › D', 'https://x.dev/p#d'],
    ],
  );
  t.equal(chunks[0].body, `Tiny intro.\n\nB\n\nAlso tiny.\n\nC\n\n${paragraph(4)}`);
  t.equal(chunks[1].body, `${paragraph(4, 10)}\n\nE\n\nShort end.`, 'a short last section joins the one before');
  t.same(chunkDocument(doc([]), 'https://x.dev/p'), [], 'no text, no chunks');
  t.end();
});

t.test('the content hash follows the words, not the chrome around them', (t) => {
  const page = fixture('sphinx.html');
  const base = contentHash(html(page));
  t.match(base, /^[0-9a-f]{64}$/);
  t.equal(contentHash(html(page)), base, 'stable');
  const chrome = page
    .replace('Previous topic', 'Earlier chapter')
    .replace('Created using Sphinx.', 'Built on a Tuesday.')
    .replace('href="../genindex.html"', 'href="../index-of-everything.html"')
    .replace('<h3>Navigation</h3>', '<h3>Go places</h3>');
  t.not(chrome, page);
  t.equal(contentHash(html(chrome)), base, 'sidebar, footer, related bar and links changed: same hash');
  t.not(contentHash(html(page.replace('until golden', 'until brown'))), base, 'one word of the text');
  t.not(contentHash(html(page.replace('<h2>Installing', '<h2>Setting up'))), base, 'a heading');
  t.not(contentHash(html(page.replace('Spam 2.0 documentation', 'Spam 2.1 documentation'))), base, 'the title');
  t.end();
});
