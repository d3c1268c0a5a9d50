/**
 * Handing over a workspace's primary ownership (docs/spec/auth.md [P9]): the primary owner names
 * another member, who becomes an owner if they were not one and the primary owner; the previous
 * primary owner stays an owner and may then step down or leave.
 */
import { NotFound, Unprocessable } from '../domain/errors.ts';
import { authorizePrimaryOwnerTransfer } from '../domain/policy.ts';
import type { WorkspaceRole } from '../domain/roles.ts';
import { withSpan } from '../observability/tracing.ts';
import { type DomainEvents, PERMISSIONS_CHANNEL } from './events.ts';
import type { PermissionCache } from './permissions.ts';
import type { Sql } from './ports.ts';
import { view, type WorkspaceView } from './workspaces.ts';

export class WorkspaceOwnership {
  private readonly db: Sql;
  private readonly permissions: PermissionCache;
  private readonly events: DomainEvents;
  private readonly onTransferred: (workspaceId: string, actor: string, to: string) => void;

  constructor(
    db: Sql,
    permissions: PermissionCache,
    events: DomainEvents,
    onTransferred: (workspaceId: string, actor: string, to: string) => void = () => undefined,
  ) {
    this.db = db;
    this.permissions = permissions;
    this.events = events;
    this.onTransferred = onTransferred;
  }

  async transferPrimaryOwnership(actor: string, workspaceId: string, userId: string): Promise<WorkspaceView> {
    return withSpan('workspace.transfer_primary_owner', {}, async () => {
      const actorRole = await this.permissions.workspaceRole(actor, workspaceId);
      if (actorRole === null) throw new NotFound('workspace not found');
      const row = await this.events.transaction(this.db, async (tx, emit) => {
        // The same lock as membership changes: a concurrent demotion sees the new primary owner.
        const w = await tx
          .selectFrom('workspaces')
          .selectAll()
          .where('id', '=', workspaceId)
          .forUpdate()
          .executeTakeFirst();
        if (!w) throw new NotFound('workspace not found');
        authorizePrimaryOwnerTransfer({ userId: actor, role: actorRole }, w.primary_owner_id);
        const target = await tx
          .updateTable('workspace_members')
          .set({ role: 'owner' })
          .where('workspace_id', '=', workspaceId)
          .where('user_id', '=', userId)
          .returning('user_id')
          .executeTakeFirst();
        if (!target) {
          throw new Unprocessable(
            'the new primary owner must be a member of the workspace (invite them first)',
            'not_a_member',
          );
        }
        const updated = await tx
          .updateTable('workspaces')
          .set({ primary_owner_id: userId, updated_at: new Date() })
          .where('id', '=', workspaceId)
          .returningAll()
          .executeTakeFirstOrThrow();
        emit(PERMISSIONS_CHANNEL, { v: 1, type: 'member-changed', workspaceId, userId });
        return updated;
      });
      this.onTransferred(workspaceId, actor, userId);
      return view(row, actorRole as WorkspaceRole);
    });
  }
}
