/** Workspaces and their members. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { Workspaces } from '../../app/workspaces.ts';
import { actorOf } from '../auth-hook.ts';
import {
  Email,
  MemberSchema,
  PlanSchema,
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
          tags: ['workspaces'],
          summary: 'Create a workspace; the caller becomes its owner',
          body: T.Object({ name: WorkspaceName, plan: T.Optional(PlanSchema) }, { additionalProperties: false }),
          response: { 201: WorkspaceSchema, ...problemResponses(400, 401) },
        },
      },
      async (req, reply) => reply.status(201).send(await workspaces.create(actorOf(req), req.body)),
    );

    app.get(
      '/workspaces',
      {
        schema: {
          tags: ['workspaces'],
          summary: "The caller's workspaces",
          response: { 200: T.Object({ items: T.Array(WorkspaceSchema) }), ...problemResponses(401) },
        },
      },
      async (req) => ({ items: await workspaces.list(actorOf(req)) }),
    );

    app.get(
      '/workspaces/:id',
      {
        schema: {
          tags: ['workspaces'],
          params: WorkspaceParams,
          response: { 200: WorkspaceSchema, ...problemResponses(400, 401, 404) },
        },
      },
      async (req) => workspaces.get(actorOf(req), req.params.id),
    );

    app.patch(
      '/workspaces/:id',
      {
        schema: {
          tags: ['workspaces'],
          summary: 'Rename (admin) or change plan (owner)',
          params: WorkspaceParams,
          body: T.Object(
            { name: T.Optional(WorkspaceName), plan: T.Optional(PlanSchema) },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: WorkspaceSchema, ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (req) => workspaces.update(actorOf(req), req.params.id, req.body),
    );

    app.delete(
      '/workspaces/:id',
      {
        schema: {
          tags: ['workspaces'],
          summary: 'Delete a workspace and its documents (owner)',
          params: WorkspaceParams,
          response: { 204: T.Null(), ...problemResponses(400, 401, 403, 404) },
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
          tags: ['members'],
          params: WorkspaceParams,
          response: { 200: T.Object({ items: T.Array(MemberSchema) }), ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (req) => ({ items: await workspaces.members(actorOf(req), req.params.id) }),
    );

    app.post(
      '/workspaces/:id/members',
      {
        schema: {
          tags: ['members'],
          summary: 'Invite an existing user by email',
          params: WorkspaceParams,
          body: T.Object({ email: Email, role: WorkspaceRoleSchema }, { additionalProperties: false }),
          response: { 201: MemberSchema, ...problemResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req, reply) => reply.status(201).send(await workspaces.addMember(actorOf(req), req.params.id, req.body)),
    );

    app.patch(
      '/workspaces/:id/members/:userId',
      {
        schema: {
          tags: ['members'],
          summary: "Change a member's role",
          params: MemberParams,
          body: T.Object({ role: WorkspaceRoleSchema }, { additionalProperties: false }),
          response: { 200: MemberSchema, ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (req) => workspaces.setRole(actorOf(req), req.params.id, req.params.userId, req.body.role),
    );

    app.delete(
      '/workspaces/:id/members/:userId',
      {
        schema: {
          tags: ['members'],
          summary: 'Remove a member (or leave the workspace)',
          params: MemberParams,
          response: { 204: T.Null(), ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) => {
        await workspaces.removeMember(actorOf(req), req.params.id, req.params.userId);
        return reply.status(204).send(null);
      },
    );
  };
