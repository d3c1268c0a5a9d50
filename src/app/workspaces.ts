/** Workspace and membership use cases; every one authorizes through the policy module first. */

import { v7 as uuidv7 } from 'uuid';
import { Forbidden, NotFound } from '../domain/errors.ts';
import { authorizeMemberChange, authorizeWorkspace } from '../domain/policy.ts';
import type { Plan, WorkspaceRole } from '../domain/roles.ts';
import { type DomainEvents, PERMISSIONS_CHANNEL } from './events.ts';
import type { PermissionCache } from './permissions.ts';
import type { Sql } from './ports.ts';
import type { WorkspaceRow } from './schema.ts';

export type WorkspaceView = {
  id: string;
  name: string;
  plan: Plan;
  role: WorkspaceRole;
  /** [P9] */
  primaryOwnerId: string | null;
  createdAt: string;
  updatedAt: string;
};
export type MemberView = { userId: string; email: string; displayName: string; role: WorkspaceRole; joinedAt: string };

export const view = (
  w: Pick<WorkspaceRow, 'id' | 'name' | 'plan' | 'created_at' | 'updated_at' | 'primary_owner_id'>,
  role: WorkspaceRole,
): WorkspaceView => ({
  id: w.id,
  name: w.name,
  plan: w.plan,
  role,
  primaryOwnerId: w.primary_owner_id,
  createdAt: w.created_at.toISOString(),
  updatedAt: w.updated_at.toISOString(),
});

export class Workspaces {
  private readonly db: Sql;
  private readonly permissions: PermissionCache;
  private readonly events: DomainEvents;

  constructor(db: Sql, permissions: PermissionCache, events: DomainEvents) {
    this.db = db;
    this.permissions = permissions;
    this.events = events;
  }

  /** Every workspace starts on the free plan: plans are the operator's to change (plans.ts) [P6]. */
  async create(actor: string, input: { name: string }): Promise<WorkspaceView> {
    const id = uuidv7();
    const row = await this.events.transaction(this.db, async (tx, emit) => {
      const w = await tx
        .insertInto('workspaces')
        .values({ id, name: input.name.trim(), plan: 'free', created_by: actor, primary_owner_id: actor })
        .returningAll()
        .executeTakeFirstOrThrow();
      await tx.insertInto('workspace_members').values({ workspace_id: id, user_id: actor, role: 'owner' }).execute();
      // A cached "not a member" answer from before creation must not survive.
      emit(PERMISSIONS_CHANNEL, { v: 1, type: 'member-changed', workspaceId: id, userId: actor });
      return w;
    });
    return view(row, 'owner');
  }

  async list(actor: string): Promise<WorkspaceView[]> {
    const rows = await this.db
      .selectFrom('workspaces')
      .innerJoin('workspace_members as m', 'm.workspace_id', 'workspaces.id')
      .select(['workspaces.id', 'name', 'plan', 'workspaces.created_at', 'updated_at', 'primary_owner_id', 'm.role'])
      .where('m.user_id', '=', actor)
      .orderBy('workspaces.created_at')
      .limit(1000)
      .execute();
    return rows.map((r) => view(r, r.role));
  }

  async get(actor: string, workspaceId: string): Promise<WorkspaceView> {
    const role = await this.permissions.workspaceRole(actor, workspaceId);
    authorizeWorkspace(role, 'workspace.read');
    const w = await this.db.selectFrom('workspaces').selectAll().where('id', '=', workspaceId).executeTakeFirst();
    if (!w) throw new NotFound('workspace not found');
    return view(w, role as WorkspaceRole);
  }

  async update(actor: string, workspaceId: string, patch: { name: string }): Promise<WorkspaceView> {
    const role = await this.permissions.workspaceRole(actor, workspaceId);
    authorizeWorkspace(role, 'workspace.rename');
    const w = await this.db
      .updateTable('workspaces')
      .set({ name: patch.name.trim(), updated_at: new Date() })
      .where('id', '=', workspaceId)
      .returningAll()
      .executeTakeFirst();
    if (!w) throw new NotFound('workspace not found');
    return view(w, role as WorkspaceRole);
  }

  async remove(actor: string, workspaceId: string): Promise<void> {
    authorizeWorkspace(await this.permissions.workspaceRole(actor, workspaceId), 'workspace.delete');
    await this.events.transaction(this.db, async (tx, emit) => {
      await tx.deleteFrom('workspaces').where('id', '=', workspaceId).execute();
      emit(PERMISSIONS_CHANNEL, { v: 1, type: 'workspace-deleted', workspaceId });
    });
  }

  async members(actor: string, workspaceId: string): Promise<MemberView[]> {
    authorizeWorkspace(await this.permissions.workspaceRole(actor, workspaceId), 'members.list');
    const rows = await this.db
      .selectFrom('workspace_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['u.id', 'u.email', 'u.display_name', 'm.role', 'm.created_at'])
      .where('m.workspace_id', '=', workspaceId)
      .orderBy('m.created_at')
      .limit(10_000)
      .execute();
    return rows.map((r) => ({
      userId: r.id,
      email: r.email,
      displayName: r.display_name,
      role: r.role,
      joinedAt: r.created_at.toISOString(),
    }));
  }

  async setRole(actor: string, workspaceId: string, userId: string, role: WorkspaceRole): Promise<MemberView> {
    return (await this.changeMember(actor, workspaceId, userId, role)) as MemberView;
  }

  async removeMember(actor: string, workspaceId: string, userId: string): Promise<void> {
    await this.changeMember(actor, workspaceId, userId, null);
  }

  /** Changes a role (newRole) or removes the member (newRole null). Keeps at least one owner. */
  private async changeMember(
    actor: string,
    workspaceId: string,
    userId: string,
    newRole: WorkspaceRole | null,
  ): Promise<MemberView | null> {
    const actorRole = await this.permissions.workspaceRole(actor, workspaceId);
    if (actorRole === null) throw new NotFound('workspace not found');
    return this.events.transaction(this.db, async (tx, emit) => {
      // Lock the workspace's membership so two concurrent demotions cannot remove the last owner.
      const workspace = await tx
        .selectFrom('workspaces')
        .select('primary_owner_id')
        .where('id', '=', workspaceId)
        .forUpdate()
        .executeTakeFirst();
      const primary = workspace?.primary_owner_id ?? null;
      const target = await tx
        .selectFrom('workspace_members as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select(['m.role', 'm.created_at', 'u.email', 'u.display_name'])
        .where('m.workspace_id', '=', workspaceId)
        .where('m.user_id', '=', userId)
        .executeTakeFirst();
      if (!target) {
        // Only those who may manage members learn who is one: the rest get the same 403 as for a member.
        authorizeMemberChange({ userId: actor, role: actorRole }, { userId, currentRole: 'guest', newRole }, primary);
        throw new NotFound('member not found');
      }
      authorizeMemberChange({ userId: actor, role: actorRole }, { userId, currentRole: target.role, newRole }, primary);
      if (target.role === 'owner' && newRole !== 'owner') {
        const owners = await tx
          .selectFrom('workspace_members')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('workspace_id', '=', workspaceId)
          .where('role', '=', 'owner')
          .executeTakeFirstOrThrow();
        if (Number(owners.n) <= 1) throw new Forbidden('a workspace needs at least one owner');
      }
      if (newRole === null) {
        await tx
          .deleteFrom('workspace_members')
          .where('workspace_id', '=', workspaceId)
          .where('user_id', '=', userId)
          .execute();
        // Leaving takes their person shares in this workspace with them [P3]: a share must not
        // outlive the membership it was made under.
        const shares = await tx
          .deleteFrom('document_shares')
          .where('user_id', '=', userId)
          .where('document_id', 'in', (eb) =>
            eb.selectFrom('documents').select('id').where('workspace_id', '=', workspaceId),
          )
          .returning('document_id')
          .execute();
        for (const s of shares) {
          emit(PERMISSIONS_CHANNEL, { v: 1, type: 'share-changed', documentId: s.document_id, userId });
        }
      } else {
        await tx
          .updateTable('workspace_members')
          .set({ role: newRole })
          .where('workspace_id', '=', workspaceId)
          .where('user_id', '=', userId)
          .execute();
      }
      emit(PERMISSIONS_CHANNEL, { v: 1, type: 'member-changed', workspaceId, userId });
      return newRole === null
        ? null
        : {
            userId,
            email: target.email,
            displayName: target.display_name,
            role: newRole,
            joinedAt: target.created_at.toISOString(),
          };
    });
  }
}
