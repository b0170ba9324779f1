// A real documentation site for the retrieval benchmark: the Python 3.11 HTML manual of Debian's python3-doc
// (installed with apt when missing), served from a local web server with ETags and Last-Modified as a static
// site is. Never Debian's nodejs-doc: installing it removes a Node.js that did not come from Debian.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import { onCleanup } from './cleanup.js';
import { step } from './report.js';

export const PYTHON_MANUAL = '/usr/share/doc/python3.11/html';

const apt = (...args: string[]) =>
  spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status;

/** The manual's folder, installing python3-doc first if it is not there (apt needs root). */
export function pythonManual(): string {
  if (existsSync(`${PYTHON_MANUAL}/index.html`)) return PYTHON_MANUAL;
  if (process.getuid?.() !== 0)
    throw new Error(`${PYTHON_MANUAL} is missing: run \`sudo apt-get install python3-doc\``);
  step('installing python3-doc with apt-get');
  if (apt('install', '-y', 'python3-doc') !== 0 && (apt('update') !== 0 || apt('install', '-y', 'python3-doc') !== 0))
    throw new Error('apt-get install python3-doc failed');
  return PYTHON_MANUAL;
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
