import { Type, type Static } from '@sinclair/typebox';
import type { SearchHit } from '../db/queries/search.js';
import { NotBlank, Nullable, Uuid } from './common.js';

export const SearchQuery = Type.Object(
  {
    query: NotBlank({ maxLength: 1000, description: 'the question or words to look for' }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 5 })),
  },
  { additionalProperties: false },
);

export const SearchResult = Type.Object({
  source_id: Uuid(),
  document_id: Uuid(),
  title: Type.String({ description: "the document's title" }),
  url: Nullable(Type.String({ description: "the section's URL (with its #anchor); null for a file without one" })),
  section: Type.String({ description: 'the heading path, "Install › From source"' }),
  snippet: Type.String({ description: 'the best matching passage of the section, plain text' }),
  score: Type.Number({
    description:
      "the page's relevance, its rank by words (BM25 of its best chunks) fused with its rank by concept: higher is better, comparable within one search only",
  }),
});

export const toSearchResult = (h: SearchHit): Static<typeof SearchResult> => ({
  source_id: h.sourceId,
  document_id: h.documentId,
  title: h.title,
  url: h.url,
  section: h.section,
  snippet: h.snippet,
  score: h.score,
});
