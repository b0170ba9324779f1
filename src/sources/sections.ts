// What extraction produces, and the one builder both the HTML and the markdown readers feed: headings open
// sections, text arrives as paragraphs.

/** A part of a page under one heading path; `text` is its paragraphs joined by a blank line. */
export type Section = { headings: string[]; anchor: string | null; text: string };

export type Extracted = {
  title: string;
  sections: Section[];
  /** Every link of the page, resolved but not normalised: the crawler decides what to follow. */
  links: string[];
  canonical: string | null;
  noindex: boolean;
};

/** Whitespace runs become one space; NUL cannot be stored in a PostgreSQL text column. */
export function collapse(text: string): string {
  const words = text.replace(/\s+/g, ' ').trim();
  return words.includes('\u0000') ? collapse(words.replaceAll('\u0000', ' ')) : words;
}

/** An absolute http(s) URL for a link, or null (another scheme, or nothing to resolve it against). */
export function resolveUrl(href: string, base: string | null): string | null {
  try {
    const url = new URL(href, base ?? undefined);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** A page's links resolved, once each, in page order; links within the page itself left out. */
export function resolveLinks(hrefs: Iterable<string>, base: string | null): string[] {
  const links = new Set<string>();
  for (const href of hrefs) {
    if (href.startsWith('#')) continue;
    const link = resolveUrl(href, base);
    if (link !== null) links.add(link);
  }
  return [...links];
}

type Open = { level: number; text: string; anchor: string | null };

export class SectionBuilder {
  readonly sections: Section[] = [];
  private readonly open: Open[] = [];
  private headings: string[] = [];
  private anchor: string | null = null;
  private paragraphs: string[] = [];
  private firstH1: string | null = null;

  /** A heading closes the headings at its level and below; what follows belongs to it. */
  heading(level: number, text: string, id: string | null): void {
    this.close();
    const anchor = id?.includes('\u0000') ? id.replaceAll('\u0000', '') || null : id;
    if (level === 1 && this.firstH1 === null) this.firstH1 = text;
    while (this.open.length > 0 && this.open[this.open.length - 1].level >= level) this.open.pop();
    this.open.push({ level, text, anchor });
    this.resume();
  }

  /** The end of a nested part (an API entry): the text after it belongs to the heading around it again. */
  leave(level: number): void {
    this.close();
    while (this.open.length > 0 && this.open[this.open.length - 1].level >= level) this.open.pop();
    this.resume();
  }

  /** The first level-1 heading, a page's title when it has no other. */
  firstHeading(): string | null {
    return this.firstH1;
  }

  paragraph(text: string): void {
    const clean = text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
    if (clean.trim() !== '') this.paragraphs.push(clean);
  }

  finish(): Section[] {
    this.close();
    return this.sections;
  }

  private resume(): void {
    this.headings = this.open.map((o) => o.text);
    this.anchor = this.open.length > 0 ? this.open[this.open.length - 1].anchor : null;
  }

  private close(): void {
    if (this.paragraphs.length === 0) return;
    this.sections.push({ headings: this.headings, anchor: this.anchor, text: this.paragraphs.join('\n\n') });
    this.paragraphs = [];
  }
}

/**
 * Inline text gathered until a block ends: words collapse, a line break is kept, a list item's marker waits for
 * its first paragraph (the item's text may sit in a nested paragraph).
 */
export class InlineBuffer {
  private parts: string[] = [];
  private lines: string[] = [];
  private prefix = '';

  constructor(private readonly out: SectionBuilder) {}

  add(text: string): void {
    this.parts.push(text);
  }

  lineBreak(): void {
    const line = collapse(this.parts.join(''));
    this.parts = [];
    if (line !== '') this.lines.push(line);
  }

  marker(prefix: string): void {
    this.flush();
    this.prefix = prefix;
  }

  flush(): void {
    this.lineBreak();
    if (this.lines.length === 0) return;
    this.out.paragraph(this.prefix + this.lines.join('\n'));
    this.lines = [];
    this.prefix = '';
  }

  /** Preformatted text as it is, line breaks and indentation included. */
  raw(text: string): void {
    this.flush();
    const trimmed = text.replace(/^\s*\n/, '').trimEnd();
    if (trimmed !== '') this.out.paragraph(trimmed);
  }
}
