/**
 * Workspace invite links [I5], for teams that onboard many people at once: an admin creates a
 * link with a role (member or guest — never more, a link can be forwarded), an expiry and
 * optionally a number of uses; anyone logged in who opens it joins. Its token is shown once, at
 * creation, and stored hashed; links can be listed and revoked. Joining never lowers a role held.
 */
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { Gone, NotFound } from '../domain/errors.ts';
import { authorizeWorkspace } from '../domain/policy.ts';
import { type DomainEvents, PERMISSIONS_CHANNEL } from './events.ts';
import { INVITE_PATH, type InvitationOutcome } from './invitations.ts';
import { hashLinkToken, linkWithToken, newLinkToken } from './one-time-tokens.ts';
import type { PermissionCache } from './permissions.ts';
import type { Sql } from './ports.ts';

export type InviteLinkRole = 'member' | 'guest';

export type InviteLinkView = {
  id: string;
  workspaceId: string;
  role: InviteLinkRole;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string;
  maxUses: number | null;
  uses: number;
  status: 'active' | 'expired' | 'used-up' | 'revoked';
};

type LinkRow = {
  id: string;
  workspace_id: string;
  role: InviteLinkRole;
  created_by: string | null;
  created_at: Date;
  expires_at: Date;
  max_uses: number | null;
  uses: number;
  revoked_at: Date | null;
};

const statusOf = (r: LinkRow): InviteLinkView['status'] =>
  r.revoked_at
    ? 'revoked'
    : r.expires_at.getTime() <= Date.now()
      ? 'expired'
      : r.max_uses !== null && r.uses >= r.max_uses
        ? 'used-up'
        : 'active';

const view = (r: LinkRow): InviteLinkView => ({
  id: r.id,
  workspaceId: r.workspace_id,
  role: r.role,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at.toISOString(),
  maxUses: r.max_uses,
  uses: r.uses,
  status: statusOf(r),
});

function unusable(r: LinkRow): Gone | null {
  switch (statusOf(r)) {
    case 'revoked':
      return new Gone('this invite link was turned off by the workspace; ask for a new one', 'link_revoked');
    case 'expired':
      return new Gone(`this invite link expired on ${r.expires_at.toUTCString()}; ask for a new one`, 'link_expired');
    case 'used-up':
      return new Gone(`this invite link was used its ${r.max_uses} times already; ask for a new one`, 'link_used');
    default:
      return null;
  }
}

export class InviteLinks {
  private readonly db: Sql;
  private readonly permissions: PermissionCache;
  private readonly events: DomainEvents;
  private readonly publicUrl: string;
  private readonly onOutcome: (outcome: InvitationOutcome) => void;

  constructor(
    db: Sql,
    permissions: PermissionCache,
    events: DomainEvents,
    opts: { publicUrl: string; onOutcome?: (outcome: InvitationOutcome) => void },
  ) {
    this.db = db;
    this.permissions = permissions;
    this.events = events;
    this.publicUrl = opts.publicUrl;
    this.onOutcome = opts.onOutcome ?? (() => undefined);
  }

  async create(
    actor: string,
    workspaceId: string,
    input: { role: InviteLinkRole; expiresInHours: number; maxUses?: number },
  ): Promise<InviteLinkView & { url: string }> {
    authorizeWorkspace(await this.permissions.workspaceRole(actor, workspaceId), 'members.add');
    const token = newLinkToken();
    const row = await this.db
      .insertInto('workspace_invite_links')
      .values({
        id: uuidv7(),
        workspace_id: workspaceId,
        role: input.role,
        token_hash: hashLinkToken(token),
        created_by: actor,
        expires_at: new Date(Date.now() + input.expiresInHours * 3_600_000),
        max_uses: input.maxUses ?? null,
      })
      .returning([
        'id',
        'workspace_id',
        'role',
        'created_by',
        'created_at',
        'expires_at',
        'max_uses',
        'uses',
        'revoked_at',
      ])
      .executeTakeFirstOrThrow();
    return { ...view(row), url: linkWithToken(this.publicUrl, INVITE_PATH, token) };
  }

  async list(actor: string, workspaceId: string): Promise<InviteLinkView[]> {
    authorizeWorkspace(await this.permissions.workspaceRole(actor, workspaceId), 'members.add');
    const rows = await this.db
      .selectFrom('workspace_invite_links')
      .select([
        'id',
        'workspace_id',
        'role',
        'created_by',
        'created_at',
        'expires_at',
        'max_uses',
        'uses',
        'revoked_at',
      ])
      .where('workspace_id', '=', workspaceId)
      .where('revoked_at', 'is', null)
      .orderBy('created_at', 'desc')
      .limit(1000)
      .execute();
    return rows.map(view);
  }

  async revoke(actor: string, workspaceId: string, linkId: string): Promise<void> {
    authorizeWorkspace(await this.permissions.workspaceRole(actor, workspaceId), 'members.add');
    const r = await this.db
      .updateTable('workspace_invite_links')
      .set({ revoked_at: new Date() })
      .where('id', '=', linkId)
      .where('workspace_id', '=', workspaceId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new NotFound('invite link not found');
    this.onOutcome('withdrawn');
  }

  /** Joins the link's workspace; null when the token is no invite link's. */
  async accept(actor: string, token: string): Promise<{ workspaceId: string; documentId: null; role: string } | null> {
    const outcome = await this.events.transaction(this.db, async (tx, emit) => {
      const row = await tx
        .selectFrom('workspace_invite_links')
        .select([
          'id',
          'workspace_id',
          'role',
          'created_by',
          'created_at',
          'expires_at',
          'max_uses',
          'uses',
          'revoked_at',
        ])
        .where('token_hash', '=', hashLinkToken(token))
        .forUpdate()
        .executeTakeFirst();
      if (!row) return null;
      const held = await tx
        .selectFrom('workspace_members')
        .select('role')
        .where('workspace_id', '=', row.workspace_id)
        .where('user_id', '=', actor)
        .executeTakeFirst();
      // Already in: the link still leads there, costs no use and changes nothing.
      if (held) return { workspaceId: row.workspace_id, documentId: null, role: held.role };
      const gone = unusable(row);
      if (gone) return gone;
      const joined = await tx
        .insertInto('workspace_members')
        .values({ workspace_id: row.workspace_id, user_id: actor, role: row.role })
        .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doNothing())
        .returning('role')
        .executeTakeFirst();
      // Joined through another way at the same moment: no use spent.
      if (!joined) return { workspaceId: row.workspace_id, documentId: null, role: row.role as string };
      await tx
        .updateTable('workspace_invite_links')
        .set({ uses: sql<number>`uses + 1` })
        .where('id', '=', row.id)
        .execute();
      emit(PERMISSIONS_CHANNEL, { v: 1, type: 'member-changed', workspaceId: row.workspace_id, userId: actor });
      return { workspaceId: row.workspace_id, documentId: null, role: row.role as string };
    });
    if (outcome instanceof Gone) {
      this.onOutcome(outcome.code === 'link_expired' ? 'expired' : outcome.code === 'link_used' ? 'used' : 'revoked');
      throw outcome;
    }
    if (outcome) this.onOutcome('accepted');
    return outcome;
  }

  async preview(token: string): Promise<{ workspaceName: string; role: string; expiresAt: string } | null> {
    const row = await this.db
      .selectFrom('workspace_invite_links as l')
      .innerJoin('workspaces as w', 'w.id', 'l.workspace_id')
      .select([
        'l.id',
        'l.workspace_id',
        'l.role',
        'l.created_by',
        'l.created_at',
        'l.expires_at',
        'l.max_uses',
        'l.uses',
        'l.revoked_at',
        'w.name',
      ])
      .where('l.token_hash', '=', hashLinkToken(token))
      .executeTakeFirst();
    if (!row) return null;
    const gone = unusable(row);
    if (gone) throw gone;
    return { workspaceName: row.name, role: row.role, expiresAt: row.expires_at.toISOString() };
  }
}
