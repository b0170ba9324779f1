// Real documentation sites for the benchmarks: HTML manuals of Debian's packages (installed with apt when
// missing), served from a local web server with ETags and Last-Modified as a static site is. Never Debian's
// nodejs-doc: installing it removes a Node.js that did not come from Debian.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import { onCleanup } from './cleanup.js';
import { step } from './report.js';

/** Real manuals from Debian's packages: the Python 3.11 manual (528 pages), PostgreSQL 15's (1,167). */
export const MANUALS = {
  python: { pkg: 'python3-doc', root: '/usr/share/doc/python3.11/html' },
  postgresql: { pkg: 'postgresql-doc-15', root: '/usr/share/doc/postgresql-doc-15/html' },
};

const apt = (...args: string[]) =>
  spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status;

/** A manual's folder, installing its package first if it is not there (apt needs root). */
export function manual({ pkg, root }: { pkg: string; root: string }): string {
  if (existsSync(`${root}/index.html`)) return root;
  if (process.getuid?.() !== 0) throw new Error(`${root} is missing: run \`sudo apt-get install ${pkg}\``);
  step(`installing ${pkg} with apt-get`);
  const install = () => apt('install', '-y', '--no-install-recommends', pkg);
  if (install() !== 0 && (apt('update') !== 0 || install() !== 0)) throw new Error(`apt-get install ${pkg} failed`);
  return root;
}

/** Serves `root` on 127.0.0.1 (a free port) until the run ends; counts the responses by status. */
export async function serveSite(root: string): Promise<{ baseUrl: string; statuses: Map<number, number> }> {
  const site = Fastify({ logger: false });
  const statuses = new Map<number, number>();
  site.addHook('onResponse', async (_req, reply) => {
    statuses.set(reply.statusCode, (statuses.get(reply.statusCode) ?? 0) + 1);
  });
  await site.register(fastifyStatic, { root, etag: true, lastModified: true, index: ['index.html'] });
  const address = await site.listen({ host: '127.0.0.1', port: 0 });
  onCleanup('stop the documentation site', () => site.close());
  return { baseUrl: address, statuses };
}
