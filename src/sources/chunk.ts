// Search units: a chunk per section, long sections cut at paragraph boundaries, short ones merged into the
// next so a hit carries enough words to rank and to quote.
import { createHash } from 'node:crypto';
import type { Extracted, Section } from './sections.js';

export type ChunkDraft = { position: number; title: string; section: string; url: string | null; body: string };

const MAX = 1500;
const MIN = 200;

/** A paragraph longer than a chunk: cut at line ends (code) or sentence ends, a word boundary at worst. */
function cut(paragraph: string): string[] {
  const pieces = paragraph.includes('\n') ? paragraph.split('\n') : paragraph.split(/(?<=[.!?])\s+/);
  const sep = paragraph.includes('\n') ? '\n' : ' ';
  const out: string[] = [];
  let current = '';
  for (let piece of pieces) {
    while (piece.length > MAX) {
      const at = piece.lastIndexOf(' ', MAX);
      const end = at > MAX / 2 ? at : MAX;
      if (current !== '') out.push(current);
      current = '';
      out.push(piece.slice(0, end));
      piece = piece.slice(end).trimStart();
    }
    if (current !== '' && current.length + sep.length + piece.length > MAX) {
      out.push(current);
      current = '';
    }
    current = current === '' ? piece : current + sep + piece;
  }
  if (current.trim() !== '') out.push(current);
  return out;
}

/** A section's text in bodies of at most MAX characters, whole paragraphs where they fit. */
function split(text: string): string[] {
  if (text.length <= MAX) return [text];
  const out: string[] = [];
  let current = '';
  for (const paragraph of text.split('\n\n')) {
    const pieces = paragraph.length > MAX ? cut(paragraph) : [paragraph];
    for (const piece of pieces) {
      if (current !== '' && current.length + 2 + piece.length > MAX) {
        out.push(current);
        current = '';
      }
      current = current === '' ? piece : `${current}\n\n${piece}`;
    }
  }
  if (current !== '') out.push(current);
  return out;
}

/** A piece of a section's text; `titled` when it starts a section under a heading of its own. */
type Unit = { section: Section; text: string; titled: boolean };

/**
 * A section's first piece joining another chunk brings its heading as a line, unless its first line holds it
 * already (an API entry's signature).
 */
function joined(unit: Unit): string {
  const heading = unit.section.headings[unit.section.headings.length - 1];
  if (!unit.titled || heading === undefined || unit.text.split('\n', 1)[0].includes(heading)) return unit.text;
  return `${heading}\n\n${unit.text}`;
}

/** The text after a nested part (an API entry) goes on under the heading around it: no new heading there. */
function resumes(section: Section, before: Section | undefined): boolean {
  if (!before || before.headings.length <= section.headings.length) return false;
  return section.headings.every((h, i) => before.headings[i] === h);
}

/**
 * Sections cut to size, then the short pieces joined: a section's short tail to the piece before it, a short
 * section to what follows (under the short one's heading), a short last one to the one before.
 */
function units(sections: Section[]): Unit[] {
  const out: Unit[] = [];
  sections.forEach((section, s) => {
    const titled = !resumes(section, sections[s - 1]);
    split(section.text).forEach((text, i) => {
      const unit = { section, text, titled: titled && i === 0 };
      const last = out[out.length - 1];
      if (last && (last.text.length < MIN || (i > 0 && text.length < MIN))) last.text += `\n\n${joined(unit)}`;
      else out.push(unit);
    });
  });
  const last = out[out.length - 1];
  if (out.length > 1 && last.text.length < MIN) {
    out.pop();
    out[out.length - 1].text += `\n\n${joined(last)}`;
  }
  return out;
}

export function chunkDocument(doc: Extracted, pageUrl: string | null): ChunkDraft[] {
  const chunks: ChunkDraft[] = [];
  for (const { section, text } of units(doc.sections)) {
    const headings = section.headings[0] === doc.title ? section.headings.slice(1) : section.headings;
    const url = pageUrl !== null && section.anchor !== null ? `${pageUrl}#${section.anchor}` : pageUrl;
    chunks.push({ position: chunks.length, title: doc.title, section: headings.join(' › '), url, body: text });
  }
  return chunks;
}

/** Changes with the words of the page, not with its links or chrome. */
export function contentHash(doc: Extracted): string {
  return createHash('sha256')
    .update(JSON.stringify([doc.title, doc.sections]))
    .digest('hex');
}
