/**
 * `Idempotency-Key` for routes that opt in (`config: { idempotent: true }`): replays the stored
 * answer of a repeated request, refuses a key reused for another request (422), and stores the
 * answer of a successful first one. The rules live in src/app/idempotency.ts.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type as T } from 'typebox';
import { fingerprintOf, type IdempotencyKeys } from '../app/idempotency.ts';
import { Conflict, Unprocessable } from '../domain/errors.ts';
import type { IsolationMetrics } from '../observability/isolation-metrics.ts';
import { actorOf } from './auth-hook.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route honours Idempotency-Key (and documents the header in its schema). */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idempotencyKey: string | null;
  }
}

/** The header as route schemas declare it (validation and the OpenAPI document). */
export const IdempotencyKeyHeaders = T.Object({
  'idempotency-key': T.Optional(
    T.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description:
        'Retry-safe key chosen by the client (e.g. a UUID): the same key from the same user within 24 h gets ' +
        'the first answer again (header Idempotent-Replayed: true); reused for a different request → 422',
    }),
  ),
});

export function idempotencyHooks(keys: IdempotencyKeys, metrics: IsolationMetrics) {
  const preHandler = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const key = req.headers['idempotency-key'];
    if (!req.routeOptions.config.idempotent || typeof key !== 'string') return undefined;
    const user = actorOf(req);
    const claim = await keys.claim(user, key, fingerprintOf(req.method, req.url, req.body));
    switch (claim.kind) {
      case 'claimed':
        req.idempotencyKey = key;
        metrics.idempotencyOutcome('executed');
        return undefined;
      case 'replay':
        metrics.idempotencyOutcome('replayed');
        if (claim.answer.location) reply.header('location', claim.answer.location);
        return reply
          .status(claim.answer.status)
          .header('idempotent-replayed', 'true')
          .type('application/json; charset=utf-8')
          .send(claim.answer.body);
      case 'mismatch':
        metrics.idempotencyOutcome('mismatch');
        throw new Unprocessable(
          'this Idempotency-Key was already used for a different request; use a new key for a new request',
          'idempotency_key_reused',
        );
      default:
        metrics.idempotencyOutcome('in_progress');
        throw new Conflict('a request with this Idempotency-Key is still being processed; retry in a moment');
    }
  };

  const onSend = async (req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    const key = req.idempotencyKey;
    if (key === null || !req.principal) return payload;
    req.idempotencyKey = null;
    const user = req.principal.userId;
    if (reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === 'string') {
      const location = reply.getHeader('location');
      await keys.complete(user, key, {
        status: reply.statusCode,
        body: payload,
        location: typeof location === 'string' ? location : null,
      });
    } else {
      // Failures are not answers to keep: the client's retry runs the request again.
      await keys.release(user, key);
    }
    return payload;
  };

  return { preHandler, onSend };
}
