/** Bearer authentication for every route registered inside the protected scope. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator, Principal } from '../app/auth/authenticator.ts';
import { Unauthenticated } from '../domain/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9_\-.]{20,8192})$/;

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
      if (err instanceof Unauthenticated) reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw err;
    }
  };
}

/** The authenticated user's id; routes in the protected scope always have one. */
export function actorOf(request: FastifyRequest): string {
  if (!request.principal) throw new Unauthenticated('not authenticated');
  return request.principal.userId;
}
