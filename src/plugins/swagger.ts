import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

/** OpenAPI 3 document generated from the route schemas, at /docs/json, with a browsable page at /docs. */
export default fp(async (app) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Docs chat API',
        description: 'Documentation chat bots for many teams, with automatic thread categorisation.',
        version: '1.0.0',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-KEY', description: 'a project API key' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
        },
      },
      tags: [
        { name: 'chat', description: 'Ask questions' },
        { name: 'threads', description: 'Conversations of a project, with their category' },
        { name: 'categories', description: "A project's categories and the threads per category" },
        {
          name: 'sources',
          description: "A project's documentation: websites crawled, files put, and search over them",
        },
        { name: 'admin', description: 'Teams, users, projects and API keys (Bearer ADMIN_TOKEN)' },
        { name: 'operations', description: 'Health and readiness' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
});
