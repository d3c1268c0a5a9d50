/**
 * The operator's route for plans: set a workspace's plan and request-rate override. Authorized
 * like the rest of the operator API (authorizeOperator, OPERATOR_TOKEN), never by a user token,
 * whatever its workspace roles: plans and limits are what a tenant pays for [P6].
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { PlanChange, WorkspacePlanView } from '../../app/plans.ts';
import { authorizeOperator } from '../../domain/policy.ts';
import { MAX_RATE_LIMIT_PER_SECOND } from '../../domain/rate-limits.ts';
import { withSpan } from '../../observability/tracing.ts';
import { described, PlanSchema, problemResponses, Timestamp, Uuid } from '../schemas.ts';

export type PlanDeps = {
  /** OPERATOR_TOKEN; undefined = the operator API is off (404). */
  operatorToken: string | undefined;
  setPlan(workspaceId: string, change: PlanChange): Promise<WorkspacePlanView>;
};

const WorkspacePlanSchema = T.Object(
  {
    id: Uuid,
    name: T.String(),
    plan: PlanSchema,
    rateLimitPerSecond: T.Union([T.Integer(), T.Null()], {
      description: "requests per second instead of the plan's (null: the plan's)",
    }),
    updatedAt: Timestamp,
  },
  { title: 'WorkspacePlan' },
);

export const planRoutes =
  (deps: PlanDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.addHook('onRequest', async (req) => authorizeOperator(req.headers.authorization, deps.operatorToken));

    app.put(
      '/admin/workspaces/:id/plan',
      {
        schema: {
          tags: ['operator'],
          operationId: 'setWorkspacePlan',
          summary: "Set a workspace's plan",
          description:
            "Sets a workspace's plan and, optionally, its request-rate override (`null` clears it). Authorized " +
            'by `Authorization: Bearer <OPERATOR_TOKEN>` only: a user token is refused (401) whatever its workspace ' +
            'role. Other instances apply the new limits within RATE_LIMIT_PLAN_CACHE_MS.',
          security: [{ operator: [] }],
          params: T.Object({ id: Uuid }),
          body: T.Object(
            {
              plan: PlanSchema,
              rateLimitPerSecond: T.Optional(
                T.Union([T.Integer({ minimum: 1, maximum: MAX_RATE_LIMIT_PER_SECOND }), T.Null()], {
                  description: "requests per second for this workspace instead of its plan's; null clears it",
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: {
            200: described('The workspace with its new plan and override', WorkspacePlanSchema),
            ...problemResponses(400, 401, 404),
          },
        },
      },
      async (req) => {
        const { id } = req.params;
        const view = await withSpan('operator.set_plan', { 'workspace.id': id, 'workspace.plan': req.body.plan }, () =>
          deps.setPlan(id, req.body),
        );
        req.log.info(
          { workspaceId: id, plan: view.plan, rateLimitPerSecond: view.rateLimitPerSecond, actor: 'operator' },
          'workspace plan set by the operator',
        );
        return view;
      },
    );
  };
