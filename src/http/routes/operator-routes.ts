/**
 * The operator API: live pprof profiles of this process and its top talkers. Authorized by
 * OPERATOR_TOKEN (authorizeOperator in src/domain/policy.ts), not by user accounts; answers
 * about this instance only (reach each pod directly, as Prometheus does).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import { Conflict } from '../../domain/errors.ts';
import { authorizeOperator } from '../../domain/policy.ts';
import { captureProfile, PROFILE_TYPES, ProfileBusy } from '../../observability/profiler.ts';
import type { TopTalkers } from '../../observability/top-talkers.ts';
import { Defaulted, described, mediaResponse, problemResponses } from '../schemas.ts';

export type OperatorDeps = { operatorToken: string | undefined; topTalkers: TopTalkers };

/** Long enough for a soak's profile, short enough that a forgotten request ends. */
export const MAX_PROFILE_SECONDS = 300;

const Talker = T.Object({ id: T.String(), count: T.Number(), error: T.Number() });
const Level = T.Object({ id: T.String(), count: T.Number() });

export const operatorRoutes =
  (deps: OperatorDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.addHook('onRequest', async (req) => authorizeOperator(req.headers.authorization, deps.operatorToken));

    app.get(
      '/operator/profile',
      {
        schema: {
          operationId: 'takeProfile',
          tags: ['operator'],
          summary: 'Profile this process',
          description:
            'Profiles this process for `seconds` (CPU, or live heap allocations) and answers a gzip-compressed ' +
            'pprof file. Authorized by `Authorization: Bearer <OPERATOR_TOKEN>` only; 404 while no operator token ' +
            'is configured, 409 while another profile is being taken.',
          security: [{ operator: [] }],
          querystring: T.Object(
            {
              type: Defaulted(
                T.Union(
                  PROFILE_TYPES.map((t) => T.Literal(t)),
                  { default: 'cpu' },
                ),
              ),
              seconds: Defaulted(T.Integer({ minimum: 1, maximum: MAX_PROFILE_SECONDS, default: 10 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: mediaResponse('A gzip-compressed pprof profile', {
              'application/octet-stream': T.String({ format: 'binary' }),
            }),
            ...problemResponses(400, 401, 404, 409),
          },
        },
      },
      async (req, reply) => {
        const { type, seconds } = req.query;
        const aborted = new AbortController();
        // A client that hangs up stops the profile early instead of holding the profiler.
        req.raw.on('close', () => aborted.abort());
        req.log.info({ type, seconds }, 'operator profile started');
        let body: Buffer;
        try {
          body = await captureProfile(type, seconds, aborted.signal);
        } catch (err) {
          if (err instanceof ProfileBusy) throw new Conflict(err.message);
          throw err;
        }
        req.log.info({ type, seconds, bytes: body.byteLength }, 'operator profile taken');
        return reply
          .header('content-type', 'application/octet-stream')
          .header('content-disposition', `attachment; filename="${type}-${Date.now()}.pb.gz"`)
          .send(body);
      },
    );

    app.get(
      '/operator/top-talkers',
      {
        schema: {
          operationId: 'getTopTalkers',
          tags: ['operator'],
          summary: "This instance's top talkers",
          description:
            "This instance's busiest workspaces and documents: requests, throttled requests and received bytes " +
            'over the last complete minute, open sockets now. Authorized by `Authorization: Bearer <OPERATOR_TOKEN>` ' +
            'only; 404 while no operator token is configured.',
          security: [{ operator: [] }],
          response: {
            200: described(
              'Busiest workspaces and documents of this instance',
              T.Object({
                windowSeconds: T.Number(),
                windowStart: T.Union([T.String(), T.Null()]),
                workspaces: T.Object({ requests: T.Array(Talker), throttled: T.Array(Talker) }),
                documents: T.Object({
                  requests: T.Array(Talker),
                  receivedBytes: T.Array(Talker),
                  sockets: T.Array(Level),
                }),
              }),
            ),
            ...problemResponses(401, 404),
          },
        },
      },
      async () => deps.topTalkers.view(),
    );
  };
