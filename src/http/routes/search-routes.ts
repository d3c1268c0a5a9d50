/** Full-text search over documents and the quick switcher's title search. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { Search } from '../../app/search.ts';
import { actorOf } from '../auth-hook.ts';
import { Defaulted, described, Items, Page, problemResponses, SearchHitSchema, Timestamp, Uuid } from '../schemas.ts';

const TitleHitSchema = T.Object({
  id: Uuid,
  workspaceId: Uuid,
  title: T.String(),
  updatedAt: Timestamp,
  match: T.Union([T.Literal('prefix'), T.Literal('substring'), T.Literal('fuzzy')], {
    description: 'title starts with the query, contains every word of it, or resembles it (typos)',
  }),
});

export const searchRoutes =
  (search: Search): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/search',
      {
        schema: {
          operationId: 'searchDocuments',
          tags: ['search'],
          summary: 'Search documents',
          description:
            'Full-text search over the documents the caller may read, best match first; optionally within one ' +
            'workspace. Every word must match (as a word in the text, or in the title where the last one may be ' +
            'a prefix); "quoted words" match as a phrase. When very many documents match, the 100 most ' +
            'recently changed text matches and 50 title matches are ranked. Keyset pagination: ' +
            'pass `nextCursor` back as `cursor` for the next page.',
          querystring: T.Object(
            {
              q: T.String({ minLength: 1, maxLength: 200 }),
              workspaceId: T.Optional(Uuid),
              limit: Defaulted(T.Integer({ minimum: 1, maximum: 50, default: 20 })),
              cursor: T.Optional(T.String({ maxLength: 200 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: described('Matching documents, best first', Page(SearchHitSchema)),
            ...problemResponses(400, 401),
          },
        },
      },
      async (req) => search.search(actorOf(req), req.query),
    );

    app.get(
      '/search/titles',
      {
        schema: {
          operationId: 'searchTitles',
          tags: ['search'],
          summary: 'Find documents by title',
          description:
            'For a quick switcher: documents the caller may read whose title starts with or contains the ' +
            'query, then titles that resemble it (typos); optionally within one workspace.',
          querystring: T.Object(
            {
              q: T.String({ minLength: 1, maxLength: 100 }),
              workspaceId: T.Optional(Uuid),
              limit: Defaulted(T.Integer({ minimum: 1, maximum: 20, default: 10 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: described('Matching documents, best first', Items(TitleHitSchema)),
            ...problemResponses(400, 401),
          },
        },
      },
      async (req) => ({ items: await search.titles(actorOf(req), req.query) }),
    );
  };
