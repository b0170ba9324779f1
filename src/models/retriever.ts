/** A section of a project's documentation, as retrieval found it for a question. */
export interface RetrievedChunk {
  sourceId: string;
  documentId: string;
  title: string;
  /** The section's URL (with its #anchor), or the document's; null for a file uploaded without a URL. */
  url: string | null;
  /** The heading path, "Install › From source". */
  section: string;
  body: string;
  score: number;
}

/**
 * Finds the chunks of one project's sources most relevant to a question, best first. Today full-text search
 * with BM25 fused with latent semantic indexing of the project's pages (src/db/queries/search.ts); an embedding
 * ranking can be put behind the same interface.
 */
export interface Retriever {
  retrieve(projectId: string, question: string, limit?: number): Promise<RetrievedChunk[]>;
}
