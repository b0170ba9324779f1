// A markdown document's text by headings, from markdown-it's token stream; anchors are the slugs GitHub gives
// headings, so a link to a section of a rendered README lands on it.
import MarkdownIt from 'markdown-it';
import { htmlText } from './html-elements.js';
import { collapse, InlineBuffer, resolveLinks, SectionBuilder, type Extracted } from './sections.js';

const md = new MarkdownIt({ html: true });
type Token = ReturnType<typeof md.parse>[number];

/** GitHub's heading anchor: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
export function slugger(): (text: string) => string {
  const seen = new Map<string, number>();
  return (text) => {
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base);
    seen.set(base, (n ?? 0) + 1);
    return n === undefined ? base : `${base}-${n}`;
  };
}

/** YAML front matter (`---` lines around it) is not text; its `title:` names the document. */
function frontMatter(body: string): { title: string | null; rest: string } {
  const lines = body.split('\n');
  if (lines[0]?.trimEnd() !== '---') return { title: null, rest: body };
  const end = lines.findIndex((line, i) => i > 0 && (line.trimEnd() === '---' || line.trimEnd() === '...'));
  if (end < 0) return { title: null, rest: body };
  let title: string | null = null;
  for (const line of lines.slice(1, end)) {
    if (line.startsWith('title:'))
      title =
        line
          .slice(6)
          .trim()
          .replace(/^(["'])(.*)\1$/, '$2') || null;
  }
  return { title, rest: lines.slice(end + 1).join('\n') };
}

function inline(token: Token, text: InlineBuffer, hrefs: string[]): void {
  for (const child of token.children ?? []) {
    switch (child.type) {
      case 'text':
      case 'code_inline':
        text.add(child.content);
        break;
      case 'softbreak':
        text.add(' ');
        break;
      case 'hardbreak':
        text.lineBreak();
        break;
      case 'image':
        text.add(child.content);
        break;
      case 'link_open': {
        const href = child.attrGet('href');
        if (href) hrefs.push(String(href));
        break;
      }
    }
  }
}

/** A heading's words (its links still count). */
function plainInline(token: Token | undefined, hrefs: string[]): string {
  let s = '';
  for (const child of token?.children ?? []) {
    if (child.type === 'text' || child.type === 'code_inline' || child.type === 'image') s += child.content;
    else if (child.type === 'softbreak' || child.type === 'hardbreak') s += ' ';
    else if (child.type === 'link_open') {
      const href = child.attrGet('href');
      if (href) hrefs.push(String(href));
    }
  }
  return collapse(s);
}

export function extractMarkdown(body: string, opts: { url: string | null; fallbackTitle: string }): Extracted {
  const { title: declared, rest } = frontMatter(body.replace(/\r\n?/g, '\n'));
  const tokens = md.parse(rest, {});
  const out = new SectionBuilder();
  const text = new InlineBuffer(out);
  const slug = slugger();
  const hrefs: string[] = [];
  let lists = 0;
  let cellIndex = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    switch (token.type) {
      case 'heading_open': {
        text.flush();
        const heading = plainInline(tokens[i + 1], hrefs);
        if (heading !== '') out.heading(Number(token.tag.slice(1)), heading, slug(heading) || null);
        i += 2;
        break;
      }
      case 'inline':
        inline(token, text, hrefs);
        break;
      case 'paragraph_close':
      case 'tr_close':
        text.flush();
        break;
      case 'bullet_list_open':
      case 'ordered_list_open':
        lists++;
        break;
      case 'bullet_list_close':
      case 'ordered_list_close':
        lists--;
        break;
      case 'list_item_open':
        text.marker(`${'  '.repeat(Math.max(0, lists - 1))}${token.info ? `${token.info}.` : '-'} `);
        break;
      case 'tr_open':
        cellIndex = 0;
        break;
      case 'th_open':
      case 'td_open':
        if (cellIndex++ > 0) text.add(' | ');
        break;
      case 'fence':
      case 'code_block':
        text.raw(token.content);
        break;
      case 'html_block':
        text.flush();
        text.add(htmlText(token.content));
        text.flush();
        break;
    }
  }
  text.flush();
  const title = declared ?? out.firstHeading() ?? opts.fallbackTitle;
  return { title, sections: out.finish(), links: resolveLinks(hrefs, opts.url), canonical: null, noindex: false };
}
