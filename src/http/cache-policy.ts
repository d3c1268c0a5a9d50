/**
 * One place decides Cache-Control: authenticated answers and errors are never stored; a public
 * route that may be cached says so in its route config (`config.cacheControl`), not in its handler;
 * the web app's files follow `webFileCacheControl`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Cache-Control for this route's successful answers (public routes only). */
    cacheControl?: string;
  }
}

export const PRIVATE_NO_STORE = 'private, no-store';
export const NO_STORE = 'no-store';
/** Content-hashed build output: a new build has new names. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The app's entry page and unhashed files: reuse only after asking (ETag). */
export const REVALIDATE = 'no-cache';

/** For a file of the built web app, by its path (hashed assets live under /assets/). */
export const webFileCacheControl = (path: string): string => (path.includes('/assets/') ? IMMUTABLE : REVALIDATE);

export function applyCachePolicy(request: FastifyRequest, reply: FastifyReply): void {
  if (reply.statusCode >= 400) {
    reply.header('cache-control', NO_STORE);
    return;
  }
  const declared = request.routeOptions.config.cacheControl;
  if (declared) {
    reply.header('cache-control', declared);
    return;
  }
  // Static files set theirs on the raw response (@fastify/static's setHeaders).
  if (reply.hasHeader('cache-control') || reply.raw.hasHeader('cache-control')) return;
  reply.header('cache-control', request.headers.authorization ? PRIVATE_NO_STORE : NO_STORE);
}
