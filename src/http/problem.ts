/** Maps every error to an RFC 9457 problem+json response, in one place. */

import { trace } from '@opentelemetry/api';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, RateLimited, Unavailable } from '../domain/errors.ts';

export const PROBLEM_TYPE_BASE = 'https://collab-docs.dev/problems/';
export type FieldProblem = { field: string; message: string };
export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldProblem[];
  traceId?: string;
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  423: 'Locked',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

type AjvError = { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> };

/** Turns Ajv errors into field paths a client can act on ("/email", "/title", "query/limit"). */
export function fieldProblems(errors: AjvError[], part: string | undefined): FieldProblem[] {
  const prefix = part && part !== 'body' ? `${part}:` : '';
  return errors.map((e) => {
    let path = e.instancePath || '';
    if (e.keyword === 'required') path += `/${String(e.params.missingProperty)}`;
    if (e.keyword === 'additionalProperties') path += `/${String(e.params.additionalProperty)}`;
    const message =
      e.keyword === 'additionalProperties'
        ? 'is not an allowed field'
        : e.keyword === 'required'
          ? 'is required'
          : (e.message ?? 'is invalid');
    return { field: `${prefix}${path || '/'}`, message };
  });
}

/** Sends a problem+json response without an Error (the request limiter's cheap refusal). */
export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  p: Omit<Problem, 'type' | 'title'> & { code: string },
): FastifyReply {
  return send(reply, request, p);
}

function send(reply: FastifyReply, request: FastifyRequest, p: Omit<Problem, 'type' | 'title'> & { code: string }) {
  const traceId = request.traceId ?? trace.getActiveSpan()?.spanContext().traceId;
  const body: Problem = {
    type: `${PROBLEM_TYPE_BASE}${p.code}`,
    title: TITLES[p.status] ?? 'Error',
    status: p.status,
    detail: p.detail,
    instance: request.url.split('?')[0],
    ...(p.errors && { errors: p.errors }),
    ...(traceId && traceId !== '00000000000000000000000000000000' && { traceId }),
  };
  return reply.status(p.status).header('content-type', 'application/problem+json; charset=utf-8').send(body);
}

export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof DomainError) {
    if (err instanceof RateLimited || err instanceof Unavailable)
      reply.header('retry-after', String(err.retryAfterSeconds));
    const errors = 'fields' in err && Array.isArray(err.fields) && err.fields.length > 0 ? err.fields : undefined;
    return send(reply, request, { status: err.status, code: err.code, detail: err.message, errors });
  }
  const fe = err as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (fe.validation) {
    const errors = fieldProblems(fe.validation, fe.validationContext);
    const detail = errors.map((e) => `${e.field} ${e.message}`).join('; ');
    return send(reply, request, { status: 400, code: 'validation', detail, errors });
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    // Fastify's own client errors: malformed JSON, body too large, wrong content type...
    return send(reply, request, { status, code: (fe.code ?? 'client_error').toLowerCase(), detail: fe.message });
  }
  request.log.error({ err }, 'unhandled error');
  return send(reply, request, {
    status: 500,
    code: 'internal',
    detail: 'an unexpected error occurred; it has been logged',
  });
}

export function sendNotFound(request: FastifyRequest, reply: FastifyReply) {
  return send(reply, request, {
    status: 404,
    code: 'not_found',
    detail: `no route for ${request.method} ${request.url.split('?')[0]}`,
  });
}
