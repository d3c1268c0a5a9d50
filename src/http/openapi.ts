/**
 * The OpenAPI document's frame (info, tags, security, component names) and the responses every
 * route with a JSON body shares. Routes describe themselves; test/openapi.test.ts lints the result
 * with Redocly and test/openapi-responses.test.ts checks real responses against it.
 */
import type { SwaggerOptions } from '@fastify/swagger';
import type { RouteOptions } from 'fastify';
import { problemResponse } from './schemas.ts';

/** Tags in the order the reference shows them; every operation uses one of these. */
const TAGS = [
  { name: 'auth', description: 'Accounts, sessions and the keys that verify access tokens' },
  { name: 'workspaces', description: 'Workspaces, the unit of membership and billing' },
  { name: 'members', description: "A workspace's members and their roles" },
  { name: 'documents', description: 'Documents: metadata, listing and current content' },
  { name: 'trash', description: 'Deleted documents, restorable until the retention runs out' },
  { name: 'history', description: "A document's versions: browse, compare, name and restore" },
  { name: 'shares', description: 'Sharing one document with people outside its workspace roles' },
  {
    name: 'invitations',
    description: 'Invitations to a workspace or a document for any email, and workspace invite links',
  },
  { name: 'comments', description: 'Comment threads anchored to text ranges, replies and @mentions' },
  { name: 'notifications', description: 'Mentions and replies for the signed-in person, and their email setting' },
  { name: 'search', description: 'Full-text search over readable documents' },
  { name: 'images', description: 'Images in documents: upload (content-checked), list and fetch' },
  { name: 'exports', description: 'Asynchronous exports to PDF, Word, Markdown and HTML' },
  { name: 'ops', description: 'Probes and metrics for operators' },
  { name: 'operator', description: 'Plans and rate-limit overrides, for the operator credential only' },
];

export function openApiOptions(publicUrl: string): SwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Collab Docs API',
        version: '1',
        description:
          'HTTP API of Collab Docs, self-hostable real-time collaborative documents. Errors are RFC 9457 ' +
          'problem details (`application/problem+json`). Live editing runs over the WebSocket at `/sync`, ' +
          'which this document does not describe.',
        license: { name: 'MIT', identifier: 'MIT' },
        contact: { name: 'Collab Docs', url: 'https://collab-docs.dev' },
      },
      servers: [{ url: publicUrl }],
      tags: TAGS,
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          operator: { type: 'http', scheme: 'bearer', description: 'OPERATOR_TOKEN (docs/operations.md)' },
        },
      },
      // Public operations (sign-up, log-in, probes, keys) override this with `security: []`.
      security: [{ bearer: [] }],
    },
    refResolver: {
      // Shared schemas are components named by their `$id` (e.g. `Problem`), not `def-0`.
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  };
}

/** Fastify's body parser answers these for any route that takes a body, before the handler runs. */
const BODY_PROBLEMS = [413, 415] as const;

/**
 * onRoute hook: routes that take a JSON body also document (and serialize) the body parser's
 * problems, so no route has to repeat them.
 */
export function withBodyProblems(route: RouteOptions): void {
  const schema = route.schema as { body?: unknown; response?: Record<string, unknown> } | undefined;
  if (!schema?.body || !schema.response) return;
  for (const status of BODY_PROBLEMS) schema.response[status] ??= problemResponse(status);
}
