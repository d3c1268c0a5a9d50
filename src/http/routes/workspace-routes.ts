/** Workspaces and their members (inviting people: invitation-routes.ts). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { Workspaces } from '../../app/workspaces.ts';
import { actorOf } from '../auth-hook.ts';
import {
  described,
  Items,
  MemberSchema,
  problemResponses,
  Uuid,
  WorkspaceName,
  WorkspaceRoleSchema,
  WorkspaceSchema,
} from '../schemas.ts';

const WorkspaceParams = T.Object({ id: Uuid });
const MemberParams = T.Object({ id: Uuid, userId: Uuid });

export const workspaceRoutes =
  (workspaces: Workspaces): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/workspaces',
      {
        schema: {
          operationId: 'createWorkspace',
          tags: ['workspaces'],
          summary: 'Create a workspace',
          description:
            'Creates a workspace on the free plan; the caller becomes its owner. Plans are set by an operator ' +
            '(PUT /admin/workspaces/{id}/plan), never by the workspace.',
          body: T.Object({ name: WorkspaceName }, { additionalProperties: false }),
          response: { 201: described('The new workspace', WorkspaceSchema), ...problemResponses(400, 401) },
        },
      },
      async (req, reply) => reply.status(201).send(await workspaces.create(actorOf(req), req.body)),
    );

    app.get(
      '/workspaces',
      {
        schema: {
          operationId: 'listWorkspaces',
          tags: ['workspaces'],
          summary: 'List workspaces',
          description: "The caller's workspaces, with the caller's role in each.",
          response: { 200: described("The caller's workspaces", Items(WorkspaceSchema)), ...problemResponses(401) },
        },
      },
      async (req) => ({ items: await workspaces.list(actorOf(req)) }),
    );

    app.get(
      '/workspaces/:id',
      {
        schema: {
          operationId: 'getWorkspace',
          tags: ['workspaces'],
          summary: 'Get a workspace',
          description: 'A workspace the caller belongs to (404 for any other, whether or not it exists).',
          params: WorkspaceParams,
          response: { 200: described('The workspace', WorkspaceSchema), ...problemResponses(400, 401, 404) },
        },
      },
      async (req) => workspaces.get(actorOf(req), req.params.id),
    );

    app.patch(
      '/workspaces/:id',
      {
        schema: {
          operationId: 'updateWorkspace',
          tags: ['workspaces'],
          summary: 'Rename a workspace',
          description: 'Renames the workspace (admins and owners). Its plan is set by an operator, never here.',
          params: WorkspaceParams,
          body: T.Object({ name: WorkspaceName }, { additionalProperties: false }),
          response: {
            200: described('The updated workspace', WorkspaceSchema),
            ...problemResponses(400, 401, 403, 404),
          },
        },
      },
      async (req) => workspaces.update(actorOf(req), req.params.id, req.body),
    );

    app.delete(
      '/workspaces/:id',
      {
        schema: {
          operationId: 'deleteWorkspace',
          tags: ['workspaces'],
          summary: 'Delete a workspace',
          description: 'Deletes the workspace with all its documents and their exports (owners).',
          params: WorkspaceParams,
          response: { 204: described('The workspace is deleted', T.Null()), ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) => {
        await workspaces.remove(actorOf(req), req.params.id);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/workspaces/:id/members',
      {
        schema: {
          operationId: 'listMembers',
          tags: ['members'],
          summary: 'List members',
          description: "The workspace's members and their roles (members, admins and owners; not guests).",
          params: WorkspaceParams,
          response: { 200: described('The members', Items(MemberSchema)), ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (req) => ({ items: await workspaces.members(actorOf(req), req.params.id) }),
    );

    app.patch(
      '/workspaces/:id/members/:userId',
      {
        schema: {
          operationId: 'setMemberRole',
          tags: ['members'],
          summary: "Change a member's role",
          description:
            'Admins move members and guests between those two roles; only owners grant or change admin and owner. ' +
            'The last owner cannot step down.',
          params: MemberParams,
          body: T.Object({ role: WorkspaceRoleSchema }, { additionalProperties: false }),
          response: {
            200: described('The member with their new role', MemberSchema),
            ...problemResponses(400, 401, 403, 404),
          },
        },
      },
      async (req) => workspaces.setRole(actorOf(req), req.params.id, req.params.userId, req.body.role),
    );

    app.delete(
      '/workspaces/:id/members/:userId',
      {
        schema: {
          operationId: 'removeMember',
          tags: ['members'],
          summary: 'Remove a member',
          description:
            'Removes a member (same rules as changing roles), or leaves the workspace when it is the caller.',
          params: MemberParams,
          response: { 204: described('The member is removed', T.Null()), ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) => {
        await workspaces.removeMember(actorOf(req), req.params.id, req.params.userId);
        return reply.status(204).send(null);
      },
    );
  };
