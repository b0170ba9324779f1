import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';
import { createRequire } from 'node:module';
import path from 'node:path';
import { projectFile } from '../runtime/paths.js';
import { ErrorCode, errorBody } from '../errors.js';

/** The browser may load only what this server serves: no inline script or style, no other origin, no framing. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const resolve = createRequire(import.meta.url).resolve;
/** The folder of an installed package (its package.json is not always exported, so up from its entry). */
function packageDir(name: string) {
  let dir = path.dirname(resolve(name));
  while (path.basename(dir) !== name && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** The libraries the console imports, served from node_modules under fixed names: no CDN, no build step. */
const VENDOR: Record<string, string> = {
  // Preact, its hooks and htm in one ES module without bare imports, so the browser loads it as it is.
  'preact.js': path.join(packageDir('htm'), 'preact', 'standalone.module.js'),
  'uPlot.esm.js': path.join(packageDir('uplot'), 'dist', 'uPlot.esm.js'),
  'uPlot.min.css': path.join(packageDir('uplot'), 'dist', 'uPlot.min.css'),
};

/**
 * The web console, registered under /console: static files that use only the HTTP API, with the key or token the person
 * types (kept by the browser tab, never by the server).
 */
const consolePlugin: FastifyPluginAsync = async (app) => {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', CONSOLE_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
  });
  // Every path under /console/ is a file or a 404 (the API's 404 would call a missing file a 405 of the wildcard).
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    return reply.code(404).send(errorBody(404, `${path} not found`, ErrorCode.ROUTE_NOT_FOUND));
  });

  await app.register(fastifyStatic, {
    root: projectFile('console'),
    prefix: '/',
    index: false,
    wildcard: true,
    dotfiles: 'deny',
    schemaHide: true,
  });

  // The page itself; the bare /console (the same route, slashes aside) moves under the slash, where its
  // relative links resolve.
  app.get('/', { schema: { hide: true } }, (request, reply) => {
    const [path, query] = request.url.split('?');
    if (!path.endsWith('/')) return reply.redirect(`${path}/${query === undefined ? '' : `?${query}`}`, 301);
    return reply.sendFile('index.html');
  });

  for (const [name, file] of Object.entries(VENDOR)) {
    app.get(`/vendor/${name}`, { schema: { hide: true } }, (_request, reply) =>
      reply.sendFile(path.basename(file), path.dirname(file)),
    );
  }
};

export default consolePlugin;
