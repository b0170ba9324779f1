// An HTML page's text by headings. The page is parsed once and walked twice: the whole of it for the title,
// links and robots hints, then only its main content for the text.
import { parseDocument } from 'htmlparser2';
import { isTag, isText, type AnyNode, type Element } from 'domhandler';
import { InlineBuffer, resolveLinks, resolveUrl, SectionBuilder, type Extracted } from './sections.js';
import { BLOCK_TAGS, EXIT, forgetClasses, HEADINGS, innerText, isApiEntry, isChrome } from './html-elements.js';
import { survey, type Page } from './html-survey.js';

/** Elements whose end matters to the text: blocks, table cells and rows. */
const ENDING = new Set([...BLOCK_TAGS, 'td', 'th', 'tr']);
/** Sphinx API entries sit below every heading level, nested entries (a class's methods) one further each. */
const API_LEVEL = 7;

/** The main content's text, section by section. */
function read(root: Element | AnyNode[], out: SectionBuilder): void {
  // A <header> inside the main content is the article's own (Docusaurus puts the h1 there); elsewhere, the site's.
  const ownHeader = !Array.isArray(root) && root.name !== 'body';
  const text = new InlineBuffer(out);
  // Ids of the sections around the current point; a heading takes the innermost one not yet taken.
  const ids: { id: string; taken: boolean }[] = [];
  // API entries nest (a class's methods): each open entry list sits one level below the one around it.
  const apiLevels = new Map<Element, number>();
  let cells = 0;
  let cellIndex = 0;
  // The next number of each list around (null for a bulleted one).
  const lists: (number | null)[] = [];
  const start = Array.isArray(root) ? root : root.children;
  const stack: (AnyNode | typeof EXIT)[] = [...start].reverse();
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (item === EXIT) {
      const el = stack.pop() as Element;
      if (el.name === 'ol' || el.name === 'ul') lists.pop();
      if (el.name === 'td' || el.name === 'th') cells--;
      else if (el.name === 'tr' && cells === 0) text.flush();
      else if (BLOCK_TAGS.has(el.name)) {
        if (cells > 0) text.add(' ');
        else text.flush();
      }
      if ((el.name === 'section' || el.name === 'div' || el.name === 'article') && el.attribs.id) ids.pop();
      const level = apiLevels.get(el);
      if (level !== undefined) {
        apiLevels.delete(el);
        text.flush();
        out.leave(level);
      }
      continue;
    }
    if (isText(item)) {
      text.add(item.data);
      continue;
    }
    if (!isTag(item) || (isChrome(item) && !(ownHeader && item.name === 'header'))) continue;
    const el = item;
    const name = el.name;
    const heading = HEADINGS[name];
    if (heading !== undefined && cells === 0) {
      text.flush();
      const inner = innerText(el, false);
      if (inner.text !== '') {
        // The heading's own id, an anchor inside it, else the id of the section it opens (Sphinx's <section id>).
        const around = ids[ids.length - 1];
        let anchor = el.attribs.id || inner.anchor;
        if (anchor === null && around && !around.taken) anchor = around.id;
        if (around) around.taken = true;
        out.heading(heading, inner.text, anchor);
      }
      continue;
    }
    if (name === 'pre') {
      // Code keeps its lines even in a table (Pygments puts line numbers and code in two cells).
      text.raw(innerText(el, true).text);
      continue;
    }
    if (name === 'br') {
      text.lineBreak();
      continue;
    }
    if (name === 'dt' && cells === 0 && isApiEntry(el)) {
      text.flush();
      const dl = el.parent as Element;
      let level = apiLevels.get(dl);
      if (level === undefined) {
        level = API_LEVEL + apiLevels.size;
        apiLevels.set(dl, level);
      }
      out.heading(level, el.attribs.id, el.attribs.id);
    } else if (name === 'td' || name === 'th') {
      if (cellIndex++ > 0) text.add(' | ');
      cells++;
    } else if (name === 'tr') {
      if (cells === 0) text.flush();
      cellIndex = 0;
    } else if (name === 'li') {
      const n = lists[lists.length - 1];
      if (typeof n === 'number') lists[lists.length - 1] = n + 1;
      if (cells === 0) text.marker(typeof n === 'number' ? `${n}. ` : '- ');
    } else if (BLOCK_TAGS.has(name)) {
      if (name === 'ol') {
        const start = Number.parseInt(el.attribs.start ?? '1', 10);
        lists.push(Number.isNaN(start) ? 1 : start);
      } else if (name === 'ul') lists.push(null);
      if (cells > 0) text.add(' ');
      else text.flush();
    }
    if ((name === 'section' || name === 'div' || name === 'article') && el.attribs.id)
      ids.push({ id: el.attribs.id, taken: false });
    if (ENDING.has(name) || el.attribs.id !== undefined) stack.push(el, EXIT);
    for (let i = el.children.length - 1; i >= 0; i--) stack.push(el.children[i]);
  }
  text.flush();
}

export function extractHtml(body: string, opts: { url: string | null; fallbackTitle: string }): Extracted {
  const doc = parseDocument(body);
  let out = new SectionBuilder();
  let page: Page;
  try {
    page = survey(doc.children);
    // A main element left empty (filled by scripts, or around a banner only): the next candidate, the body last.
    for (const candidate of page.main) {
      out = new SectionBuilder();
      read(candidate, out);
      if (out.finish().length > 0) break;
    }
    if (page.main.length === 0) read(doc.children, out);
  } finally {
    forgetClasses();
  }
  const sections = out.finish();
  const base = (page.base !== null ? resolveUrl(page.base, opts.url) : null) ?? opts.url;
  const links = resolveLinks(page.hrefs, base);
  const title = page.title || out.firstHeading() || opts.fallbackTitle;
  const canonical = page.canonical !== null ? resolveUrl(page.canonical, base) : null;
  return { title, sections, links, canonical, noindex: page.noindex };
}
