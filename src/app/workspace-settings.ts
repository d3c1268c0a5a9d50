/**
 * A workspace's settings about what its documents' viewers see (issue 14): whether viewers browse
 * comments and version history (docs/spec/comments.md [C1], docs/spec/history.md [V6]). Anyone in
 * the workspace reads them (the editor hides panels by them); owners and admins change them. A
 * change is one transaction whose permission event drops every cached document answer of the
 * workspace, here and on every instance, so the next request is decided afresh.
 */
import { NotFound } from '../domain/errors.ts';
import { authorizeWorkspace } from '../domain/policy.ts';
import { type DomainEvents, PERMISSIONS_CHANNEL } from './events.ts';
import type { PermissionCache } from './permissions.ts';
import type { Sql } from './ports.ts';

export type WorkspaceSettingsView = { workspaceId: string; viewersBrowse: boolean };

export class WorkspaceSettings {
  private readonly db: Sql;
  private readonly permissions: PermissionCache;
  private readonly events: DomainEvents;
  private readonly changed: (view: WorkspaceSettingsView, actor: string) => void;

  constructor(
    db: Sql,
    permissions: PermissionCache,
    events: DomainEvents,
    changed: (view: WorkspaceSettingsView, actor: string) => void = () => undefined,
  ) {
    this.db = db;
    this.permissions = permissions;
    this.events = events;
    this.changed = changed;
  }

  async get(actor: string, workspaceId: string): Promise<WorkspaceSettingsView> {
    authorizeWorkspace(await this.permissions.workspaceRole(actor, workspaceId), 'workspace.read');
    const row = await this.db
      .selectFrom('workspaces')
      .select('viewers_browse')
      .where('id', '=', workspaceId)
      .executeTakeFirst();
    if (!row) throw new NotFound('workspace not found');
    return { workspaceId, viewersBrowse: row.viewers_browse };
  }

  async update(actor: string, workspaceId: string, patch: { viewersBrowse: boolean }): Promise<WorkspaceSettingsView> {
    authorizeWorkspace(await this.permissions.workspaceRole(actor, workspaceId), 'workspace.settings');
    const row = await this.events.transaction(this.db, async (tx, emit) => {
      const r = await tx
        .updateTable('workspaces')
        .set({ viewers_browse: patch.viewersBrowse, updated_at: new Date() })
        .where('id', '=', workspaceId)
        .returning('viewers_browse')
        .executeTakeFirst();
      if (r) emit(PERMISSIONS_CHANNEL, { v: 1, type: 'workspace-settings-changed', workspaceId });
      return r;
    });
    if (!row) throw new NotFound('workspace not found');
    const view = { workspaceId, viewersBrowse: row.viewers_browse };
    this.changed(view, actor);
    return view;
  }
}
