/**
 * Serves the built single-page app: hashed assets as immutable for a year, precompressed
 * (brotli/gzip siblings written by the build), `index.html` revalidated on every load, a strict
 * Content-Security-Policy, and the app's index for any other browser navigation (client routes).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { REVALIDATE, webFileCacheControl } from './cache-policy.ts';
import { sendNotFound } from './problem.ts';

/**
 * No inline script or style, no eval, no plugins, no framing, no base-URI tricks. Styles set
 * from script through the CSSOM (`el.style.color = …`) are not governed by style-src.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self' ws: wss:",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'referrer-policy': 'strict-origin-when-cross-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

/** Paths that belong to the API and operations, never to the app's client-side router. */
const SERVER_PATHS = /^\/(api|sync|metrics|livez|readyz|\.well-known)(\/|$)/;

/** Browsers ask for text/html when navigating; API clients and scripts get problem+json 404s. */
function wantsHtml(req: FastifyRequest): boolean {
  return (req.headers.accept ?? '').includes('text/html');
}

export function webAppRoutes(dir: string) {
  return async (app: FastifyInstance) => {
    if (!existsSync(join(dir, 'index.html'))) {
      app.log.warn({ dir }, 'web app not built: only the API is served');
      return;
    }
    const sendIndex = (reply: FastifyReply) =>
      reply.headers(PAGE_HEADERS).sendFile('index.html', dir, { cacheControl: false });
    // The index is answered for the app's own routes; cache-policy.ts sets this on success.
    const page = { config: { cacheControl: REVALIDATE }, schema: { hide: true } };

    await app.register(fastifyStatic, {
      root: dir,
      prefix: '/',
      wildcard: false,
      index: false,
      preCompressed: true,
      cacheControl: false,
      etag: true,
      lastModified: true,
      // Build stamps and precompressed siblings are not resources of their own.
      allowedPath: (path) => !path.startsWith('/.') && !/\.(br|gz)$/.test(path),
      setHeaders: (res, path) => {
        // Set on the raw response, which cache-policy.ts leaves as it is.
        res.header('cache-control', webFileCacheControl(path));
        if (path.endsWith('.html')) for (const [k, v] of Object.entries(PAGE_HEADERS)) res.header(k, v);
      },
    });

    app.get('/', page, (_req, reply) => sendIndex(reply));
    // Client-side routes (/login, /w/:id, /d/:id…): the app decides what to show.
    app.get('/*', page, (req, reply) => {
      const path = req.url.split('?')[0] ?? '/';
      if (SERVER_PATHS.test(path) || path.startsWith('/assets/') || !wantsHtml(req)) return sendNotFound(req, reply);
      return sendIndex(reply);
    });
  };
}
