// `npm run docs:config`: writes docs/configuration.md's table from the config schema, so the table cannot
// drift from what the code accepts. test/docs.test.ts fails when the document's table is not what this writes.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { ConfigSchema } from '../src/config-schema.js';
import { describe } from '../src/schemas/messages.js';
import { projectFile } from '../src/runtime/paths.js';

export const START = '<!-- config-table:start: generated from src/config-schema.ts by `npm run docs:config` -->';
export const END = '<!-- config-table:end -->';
export const CONFIG_DOC = projectFile('docs', 'configuration.md');

// A table cell: pipes would end the cell, and outside code spans angle brackets would read as HTML.
const cell = (text: string) =>
  text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replaceAll('<', '&lt;').replaceAll('>', '&gt;')))
    .join('')
    .replaceAll('|', '\\|');

/** The configuration table in Markdown: every variable, its default, what it accepts and what it does. */
export function configTable(): string {
  const rows = Object.entries(ConfigSchema.properties as Record<string, TSchema>).map(([name, schema]) => {
    // Every default is a number, a boolean or text: shown as it would be written in the environment.
    const fallback = schema.default as string | number | boolean | undefined;
    const shown = fallback === undefined ? 'unset' : `\`${fallback}\``;
    const description = typeof schema.description === 'string' ? schema.description : '';
    return `| \`${name}\` | ${shown} | ${cell(describe(schema))} | ${cell(description)} |`;
  });
  return ['| variable | default | accepts | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** The document with its table, between the two markers, replaced by the one the schema gives. */
export function withConfigTable(doc: string): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/configuration.md needs the markers ${START} and ${END}`);
  return `${doc.slice(0, start + START.length)}\n${configTable()}\n${doc.slice(end)}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const doc = readFileSync(CONFIG_DOC, 'utf8');
  const updated = withConfigTable(doc);
  writeFileSync(CONFIG_DOC, updated);
  console.log(
    updated === doc ? 'docs/configuration.md: the table is up to date' : 'docs/configuration.md: table rewritten',
  );
}
