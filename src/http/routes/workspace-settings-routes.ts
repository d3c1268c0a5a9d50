/** A workspace's viewer settings (docs/spec/comments.md [C1], docs/spec/history.md [V6]): read by its people, changed by owners and admins. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { WorkspaceSettings } from '../../app/workspace-settings.ts';
import { withSpan } from '../../observability/tracing.ts';
import { actorOf } from '../auth-hook.ts';
import { WorkspaceSettingsSchema } from '../comment-schemas.ts';
import { described, problemResponses, Uuid } from '../schemas.ts';

const WorkspaceParams = T.Object({ id: Uuid });

export const workspaceSettingsRoutes =
  (settings: WorkspaceSettings): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/workspaces/:id/settings',
      {
        schema: {
          operationId: 'getWorkspaceSettings',
          tags: ['workspaces'],
          summary: "Get a workspace's settings",
          description: 'Whether viewers see comments and version history; anyone in the workspace reads them.',
          params: WorkspaceParams,
          response: {
            200: described('The settings', WorkspaceSettingsSchema),
            ...problemResponses(400, 401, 404),
          },
        },
      },
      async (req) => settings.get(actorOf(req), req.params.id),
    );

    app.patch(
      '/workspaces/:id/settings',
      {
        schema: {
          operationId: 'updateWorkspaceSettings',
          tags: ['workspaces'],
          summary: "Change a workspace's settings",
          description:
            '`viewersBrowse`: whether viewers (read-only people) of its documents see their comments and version ' +
            'history, in the API and in the live comment notices of open editors. Owners and admins. Takes effect ' +
            'on the next request, on every instance.',
          params: WorkspaceParams,
          body: T.Object({ viewersBrowse: T.Boolean() }, { additionalProperties: false }),
          response: {
            200: described('The settings now', WorkspaceSettingsSchema),
            ...problemResponses(400, 401, 403, 404),
          },
        },
      },
      async (req) =>
        withSpan('workspace.settings', { 'workspace.id': req.params.id }, () =>
          settings.update(actorOf(req), req.params.id, req.body),
        ),
    );
  };
