/** Bearer authentication for every route registered inside the protected scope. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator, Principal } from '../app/auth/authenticator.ts';
import { Unauthenticated } from '../domain/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

// The scheme name is case-insensitive (RFC 9110 §11.1).
const BEARER = /^Bearer ([A-Za-z0-9_\-.]{20,8192})$/i;

export function bearerToken(header: string | undefined): string {
  const match = header ? BEARER.exec(header) : null;
  if (!match?.[1]) throw new Unauthenticated('an access token is required (Authorization: Bearer <token>)');
  return match[1];
}

export function authenticate(authenticator: Authenticator) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    try {
      request.principal = await authenticator.authenticate(bearerToken(request.headers.authorization));
    } catch (err) {
      if (err instanceof Unauthenticated) {
        // RFC 6750 §3.1: no error code when the request carried no credentials at all.
        const presented = Boolean(request.headers.authorization);
        reply.header('www-authenticate', presented ? 'Bearer error="invalid_token"' : 'Bearer');
      }
      throw err;
    }
  };
}

/** The authenticated user's id; routes in the protected scope always have one. */
export function actorOf(request: FastifyRequest): string {
  if (!request.principal) throw new Unauthenticated('not authenticated');
  return request.principal.userId;
}
