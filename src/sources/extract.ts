// A fetched or uploaded document's text, split by its headings, plus what the crawler needs from it (links,
// canonical URL, noindex).
import { extractHtml } from './extract-html.js';
import { extractMarkdown } from './extract-markdown.js';
import type { Extracted } from './sections.js';

export type { Extracted, Section } from './sections.js';

export type ContentType = 'text/html' | 'text/markdown' | 'text/plain';

/** Plain text: one section, paragraphs on blank lines, lines kept as written. */
function extractText(body: string, fallbackTitle: string): Extracted {
  const paragraphs = body
    .replaceAll('\u0000', '')
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((p) => p.replace(/[ \t]+$/gm, '').replace(/^\n+|\s+$/g, ''))
    .filter((p) => p.trim() !== '');
  const sections = paragraphs.length > 0 ? [{ headings: [], anchor: null, text: paragraphs.join('\n\n') }] : [];
  return { title: fallbackTitle, sections, links: [], canonical: null, noindex: false };
}

export function extract(
  contentType: ContentType,
  body: string,
  opts: { url: string | null; fallbackTitle: string },
): Extracted {
  switch (contentType) {
    case 'text/html':
      return extractHtml(body, opts);
    case 'text/markdown':
      return extractMarkdown(body, opts);
    default:
      return extractText(body, opts.fallbackTitle);
  }
}
