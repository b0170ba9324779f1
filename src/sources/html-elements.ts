// What an element is to the text of a page: chrome to leave out, a block, a heading, a Sphinx API entry.
import { parseDocument } from 'htmlparser2';
import { isTag, isText, type AnyNode, type Element } from 'domhandler';
import { collapse } from './sections.js';

const words = (list: string) => new Set(list.split(' '));

/** Page chrome: never part of the text (the links inside still count for crawling). */
const CHROME_TAGS = words(
  'nav header footer aside script style noscript template form svg button select textarea iframe object canvas title',
);
const CHROME_ROLES = words('navigation banner contentinfo search');
/** Sidebars, permalink signs beside headings, line numbers of code, "on this page" boxes of common doc themes. */
const CHROME_CLASSES = words(
  'headerlink sphinxsidebar sphinxsidebarwrapper related toc footer linenos hash-link anchorjs-link header-anchor ' +
    'anchor-link heading-anchor td-heading-self-link breadcrumb breadcrumbs skip-link sr-only visually-hidden ' +
    'rst-footer-buttons copybtn table-of-contents theme-doc-toc-mobile',
);
export const BLOCK_TAGS = words(
  'address article blockquote caption center dd details div dl dt fieldset figcaption figure hr legend li main ol p ' +
    'section summary table tbody tfoot thead ul',
);
export const HEADINGS: Record<string, number> = { h1: 1, h2: 2, h3: 3, h4: 4, h5: 5, h6: 6 };
/** Sphinx's API entries (`<dl class="py function"><dt id="abs">`): each one a part of its own below the headings. */
const OBJECT_KINDS = words('function class method attribute data exception classmethod staticmethod');

// Class attributes repeat all over a page (code highlighting): each distinct one is checked once per page.
const chromeClasses = new Map<string, boolean>();

/** Called after each page: the class memo holds only one page's classes. */
export function forgetClasses(): void {
  chromeClasses.clear();
}

export function isChrome(el: Element): boolean {
  if (CHROME_TAGS.has(el.name)) return true;
  const a = el.attribs;
  if (a.hidden !== undefined || a['aria-hidden'] === 'true') return true;
  if (a.role !== undefined && CHROME_ROLES.has(a.role)) return true;
  if (a.class === undefined) return false;
  let chrome = chromeClasses.get(a.class);
  if (chrome === undefined) {
    chrome = a.class.split(/\s+/).some((c) => CHROME_CLASSES.has(c));
    chromeClasses.set(a.class, chrome);
  }
  return chrome;
}

export const hasClass = (el: Element, name: string) => el.attribs.class?.split(/\s+/).includes(name) ?? false;

export function isApiEntry(el: Element): boolean {
  if (el.name !== 'dt' || !el.attribs.id) return false;
  if (hasClass(el, 'sig-object')) return true;
  const dl = el.parent;
  return dl !== null && isTag(dl) && (dl.attribs.class?.split(/\s+/).some((c) => OBJECT_KINDS.has(c)) ?? false);
}

/** The text of an element's subtree without its chrome, and the first `<a id|name>` inside. */
export function innerText(el: Element, keepWhitespace: boolean): { text: string; anchor: string | null } {
  const parts: string[] = [];
  let anchor: string | null = null;
  const stack: AnyNode[] = [...el.children].reverse();
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (isText(node)) parts.push(node.data);
    else if (isTag(node) && !isChrome(node)) {
      if (anchor === null && node.name === 'a') anchor = node.attribs.id || node.attribs.name || null;
      if (node.name === 'br') parts.push('\n');
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
    }
  }
  const text = parts.join('');
  return { text: keepWhitespace ? text : collapse(text), anchor };
}

/** The text of an HTML fragment (raw HTML inside markdown), chrome left out. */
export function htmlText(fragment: string): string {
  const doc = parseDocument(fragment);
  const text = doc.children.map((node) => {
    if (isText(node)) return node.data;
    return isTag(node) && !isChrome(node) ? innerText(node, false).text : '';
  });
  forgetClasses();
  return collapse(text.join(' '));
}

/** On a walk's stack below an element's children: the element ends there (the element itself lies beneath). */
export const EXIT = Symbol('exit');
