import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 right now (for an embedded PostgreSQL or a server started by tests and benchmarks). */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });

/** The same PostgreSQL URL with another database name. */
export const withDatabase = (url: string, db: string) => Object.assign(new URL(url), { pathname: `/${db}` }).toString();
