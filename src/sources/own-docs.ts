import { readdirSync, readFileSync } from 'node:fs';
import type { PutDocument } from '../db/queries/documents.js';
import { projectFile } from '../runtime/paths.js';

/**
 * This repository's own documentation (README.md and docs/*.md) as documents of a files source: what the
 * demo project answers from on the first start, so its first question can be about the service itself.
 */
export function ownDocumentation(): PutDocument[] {
  const files = ['README.md', ...readdirSync(projectFile('docs')).map((name) => `docs/${name}`)].filter((file) =>
    file.endsWith('.md'),
  );
  return files.map((path) => ({
    path,
    content: readFileSync(projectFile(path), 'utf8'),
    contentType: 'text/markdown',
    title: null,
    url: null,
  }));
}
