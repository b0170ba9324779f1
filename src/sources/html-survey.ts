// The first walk over an HTML page: what its head says (title, base, canonical, robots), every link, and where
// its main content may be.
import { isTag, type AnyNode, type Element } from 'domhandler';
import { EXIT, hasClass, innerText, isChrome } from './html-elements.js';

export type Page = {
  title: string | null;
  base: string | null;
  canonical: string | null;
  noindex: boolean;
  hrefs: Set<string>;
  /** Where the main content may be, best first. */
  main: Element[];
};

const MAIN_RANKS = ['main', 'role-main', 'article', 'div.body', 'div.document', 'body'] as const;

/** One walk over the whole page: what the head says, every link, and the best main-content candidate. */
export function survey(nodes: AnyNode[]): Page {
  const page: Page = { title: null, base: null, canonical: null, noindex: false, hrefs: new Set(), main: [] };
  const found = new Map<string, Element>();
  // Elements inside chrome are visited for their links but never chosen as the main content.
  let chromeDepth = 0;
  const stack: (AnyNode | typeof EXIT)[] = [...nodes].reverse();
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node === EXIT) {
      chromeDepth--;
      continue;
    }
    if (!isTag(node)) continue;
    const a = node.attribs;
    const inChrome = chromeDepth > 0;
    const chrome = inChrome || isChrome(node);
    switch (node.name) {
      case 'a':
        if (a.href) page.hrefs.add(a.href.trim());
        break;
      case 'title':
        if (page.title === null && !inChrome) page.title = innerText(node, false).text;
        continue;
      case 'base':
        if (page.base === null && a.href) page.base = a.href;
        break;
      case 'link':
        if (page.canonical === null && a.href && a.rel?.toLowerCase().split(/\s+/).includes('canonical'))
          page.canonical = a.href;
        break;
      case 'meta': {
        const name = a.name?.toLowerCase();
        if ((name === 'robots' || name === 'docs-chat') && a.content) {
          const rules = a.content.toLowerCase().split(',');
          if (rules.some((r) => r.trim() === 'noindex' || r.trim() === 'none')) page.noindex = true;
        }
        break;
      }
      case 'main':
      case 'article':
      case 'body':
        if (!chrome && !found.has(node.name)) found.set(node.name, node);
        break;
      case 'div':
        if (!chrome && hasClass(node, 'body') && !found.has('div.body')) found.set('div.body', node);
        if (!chrome && hasClass(node, 'document') && !found.has('div.document')) found.set('div.document', node);
        break;
    }
    if (!chrome && a.role === 'main' && !found.has('role-main')) found.set('role-main', node);
    if (chrome && !inChrome) {
      chromeDepth++;
      stack.push(EXIT);
    }
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
  }
  for (const rank of MAIN_RANKS) {
    const el = found.get(rank);
    if (el && !page.main.includes(el)) page.main.push(el);
  }
  return page;
}
