import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { searchChunks } from '../db/queries/search.js';
import { ProjectParams } from '../schemas/common.js';
import { SearchQuery, SearchResult, toSearchResult } from '../schemas/search.js';

const search: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.get(
    '/search',
    {
      schema: {
        tags: ['sources'],
        summary: "Search the project's sources: the best matching sections, best first, one per document",
        description:
          'Full-text search as the chat retrieves: words are stemmed and stop words dropped, a section sharing only ' +
          'some of the words still matches, rare words and title or heading matches count for more; pages near the ' +
          "question in the project's concept space (latent semantic indexing) rank too, even without a word in common.",
        security: [{ apiKey: [] }],
        params: ProjectParams,
        querystring: SearchQuery,
        response: { 200: Type.Object({ results: Type.Array(SearchResult) }) },
      },
    },
    async (request) => {
      const { query, limit = 5 } = request.query;
      const hits = await searchChunks(app.db, { projectId: request.project.id, query, limit });
      return { results: hits.map(toSearchResult) };
    },
  );
  done();
};

export default search;
