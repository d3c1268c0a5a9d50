/**
 * Invitations for any email, with consent [I1]–[I4]. Inviting answers the same whether or not
 * the email has an account (202, same body), and emails a one-time link either way:
 * - to a workspace, nobody becomes a member until they accept from the link — a stranger's
 *   workspace never appears in anyone's list unasked;
 * - to a document (Google Docs' model), an existing account gets the share at once and a
 *   notification; an email without an account gets a pending invitation.
 * Accepting needs the link's token (it proves the inbox, since account emails are not verified)
 * and an account with the invited email; people without one sign up from the link. Invitations
 * expire, can be listed, revoked and re-sent (a new token) by whoever may invite, and are
 * throttled per user (the `invite` request bucket) and per workspace (a daily count here).
 */
import { v7 as uuidv7 } from 'uuid';
import { Conflict, Forbidden, Gone, NotFound, RateLimited } from '../domain/errors.ts';
import { authorizeDocument, authorizeMemberAdd, authorizeWorkspace } from '../domain/policy.ts';
import type { ShareRole, WorkspaceRole } from '../domain/roles.ts';
import { type DomainEvents, PERMISSIONS_CHANNEL } from './events.ts';
import { invitationMail } from './invitation-mail.ts';
import type { MailOutbox } from './mail-outbox.ts';
import { hashLinkToken, linkWithToken, newLinkToken } from './one-time-tokens.ts';
import type { PermissionCache } from './permissions.ts';
import type { CounterStore, Sql } from './ports.ts';

const DAY_SECONDS = 86_400;
export const INVITE_PATH = '/invite';

/** What the inviter is told: the same for an email with or without an account [I1]. */
export type InvitationSent = {
  email: string;
  role: string;
  expiresAt: string;
  /** The link itself, only while mail goes to files (no mail server): the inviter passes it on. */
  link?: string;
};

export type InvitationView = {
  id: string;
  email: string;
  role: string;
  workspaceId: string;
  documentId: string | null;
  invitedBy: string | null;
  createdAt: string;
  expiresAt: string;
  status: 'pending' | 'expired';
};

/** Where accepting a link leads. */
export type AcceptedInvitation = { workspaceId: string; documentId: string | null; role: string };

/** Sent, re-sent, withdrawn by an inviter, accepted; or why a link was refused (expired ... wrong-account). */
export type InvitationOutcome =
  | 'sent'
  | 'resent'
  | 'withdrawn'
  | 'accepted'
  | 'expired'
  | 'used'
  | 'revoked'
  | 'unknown'
  | 'wrong-account';

export type InvitationsOptions = {
  publicUrl: string;
  ttlHours: number;
  maxPerWorkspacePerDay: number;
  /** True while mail goes to `.eml` files: answers then carry the link for the inviter to pass on. */
  showLinks: boolean;
  onOutcome?: (target: 'workspace' | 'document' | 'link', outcome: InvitationOutcome) => void;
};

type InvitationRow = {
  id: string;
  workspace_id: string;
  document_id: string | null;
  email: string;
  role: string;
  invited_by: string | null;
  created_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
  accepted_by: string | null;
  revoked_at: Date | null;
};

const normalise = (email: string) => email.trim().toLowerCase();

const view = (r: InvitationRow): InvitationView => ({
  id: r.id,
  email: r.email,
  role: r.role,
  workspaceId: r.workspace_id,
  documentId: r.document_id,
  invitedBy: r.invited_by,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at.toISOString(),
  status: r.expires_at.getTime() <= Date.now() ? 'expired' : 'pending',
});

/** Why a link can no longer be used, in words a person acts on [I3]. */
export function unusableInvitation(
  r: Pick<InvitationRow, 'revoked_at' | 'accepted_at' | 'expires_at'> & { declined_at?: Date | null },
): Gone | null {
  if (r.declined_at) {
    return new Gone('this invitation was declined; ask the person who sent it to invite you again', 'link_revoked');
  }
  if (r.revoked_at) {
    return new Gone(
      'this invitation was withdrawn by the person who sent it; ask them to invite you again',
      'link_revoked',
    );
  }
  if (r.accepted_at) return new Gone('this invitation was already accepted; log in to open it', 'link_used');
  if (r.expires_at.getTime() <= Date.now()) {
    return new Gone(
      `this invitation expired on ${r.expires_at.toUTCString()}; ask the person who sent it to send it again`,
      'link_expired',
    );
  }
  return null;
}

export class Invitations {
  private readonly db: Sql;
  private readonly permissions: PermissionCache;
  private readonly events: DomainEvents;
  private readonly outbox: MailOutbox;
  private readonly counters: CounterStore;
  private readonly opts: InvitationsOptions;

  constructor(
    db: Sql,
    permissions: PermissionCache,
    events: DomainEvents,
    outbox: MailOutbox,
    counters: CounterStore,
    opts: InvitationsOptions,
  ) {
    this.db = db;
    this.permissions = permissions;
    this.events = events;
    this.outbox = outbox;
    this.counters = counters;
    this.opts = opts;
  }

  /** Invites an email to a workspace; they become a member only by accepting [I2]. */
  async inviteToWorkspace(
    actor: string,
    workspaceId: string,
    input: { email: string; role: WorkspaceRole },
  ): Promise<InvitationSent> {
    authorizeMemberAdd(await this.permissions.workspaceRole(actor, workspaceId), input.role);
    const email = input.email.trim();
    // Admins see the member list anyway: saying so here reveals nothing new.
    const member = await this.db
      .selectFrom('workspace_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select('u.id')
      .where('m.workspace_id', '=', workspaceId)
      .where((eb) => eb(eb.fn('lower', ['u.email']), '=', normalise(email)))
      .executeTakeFirst();
    if (member) throw new Conflict('this person is already a member');
    await this.countAgainstWorkspace(workspaceId);
    const workspace = await this.db
      .selectFrom('workspaces')
      .select('name')
      .where('id', '=', workspaceId)
      .executeTakeFirstOrThrow();
    const inviter = await this.inviter(actor);
    const token = newLinkToken();
    const expiresAt = this.expiry();
    await this.db.transaction().execute(async (tx) => {
      await this.withdrawPending(tx, workspaceId, null, email);
      await tx
        .insertInto('invitations')
        .values({
          id: uuidv7(),
          workspace_id: workspaceId,
          document_id: null,
          email,
          role: input.role,
          token_hash: hashLinkToken(token),
          invited_by: actor,
          expires_at: expiresAt,
        })
        .execute();
      await this.outbox.enqueue(
        tx,
        'invitation',
        invitationMail({
          kind: 'workspace',
          to: email,
          inviter,
          workspaceName: workspace.name,
          role: input.role,
          link: this.link(token),
          expiresAt,
        }),
      );
    });
    this.outbox.wake();
    this.opts.onOutcome?.('workspace', 'sent');
    return this.sent(email, input.role, expiresAt, token);
  }

  /**
   * Shares a document with any email: an account with it gets the share now (and an email); an
   * email without one gets a pending invitation. The answer is the same for both [I1].
   */
  async inviteToDocument(
    actor: string,
    documentId: string,
    input: { email: string; role: ShareRole },
  ): Promise<InvitationSent> {
    const info = await this.permissions.documentAccess(actor, documentId);
    if (!info) throw new NotFound('document not found');
    authorizeDocument(info, 'shares.manage');
    const email = input.email.trim();
    const workspaceId = info.document.workspaceId;
    const user = await this.db
      .selectFrom('users')
      .select('id')
      .where((eb) => eb(eb.fn('lower', ['email']), '=', normalise(email)))
      .executeTakeFirst();
    if (user) {
      // Readers of the document see its shares: saying so reveals nothing new.
      const existing = await this.db
        .selectFrom('document_shares')
        .select('role')
        .where('document_id', '=', documentId)
        .where('user_id', '=', user.id)
        .executeTakeFirst();
      if (existing) throw new Conflict(`${email} already has access; change their role instead`);
    }
    await this.countAgainstWorkspace(workspaceId);
    const document = await this.db
      .selectFrom('documents')
      .select('title')
      .where('id', '=', documentId)
      .executeTakeFirstOrThrow();
    const inviter = await this.inviter(actor);
    const token = newLinkToken();
    const expiresAt = this.expiry();
    await this.events.transaction(this.db, async (tx, emit) => {
      await this.withdrawPending(tx, workspaceId, documentId, email);
      const now = new Date();
      if (user) {
        await tx
          .insertInto('document_shares')
          .values({ document_id: documentId, user_id: user.id, role: input.role, shared_by: actor })
          .onConflict((oc) => oc.columns(['document_id', 'user_id']).doNothing())
          .execute();
        emit(PERMISSIONS_CHANNEL, { v: 1, type: 'share-changed', documentId, userId: user.id });
      }
      // Kept accepted for an account (its link then just opens the document), pending otherwise.
      await tx
        .insertInto('invitations')
        .values({
          id: uuidv7(),
          workspace_id: workspaceId,
          document_id: documentId,
          email,
          role: input.role,
          token_hash: hashLinkToken(token),
          invited_by: actor,
          expires_at: expiresAt,
          accepted_at: user ? now : null,
          accepted_by: user?.id ?? null,
        })
        .execute();
      await this.outbox.enqueue(
        tx,
        user ? 'share' : 'invitation',
        invitationMail({
          kind: 'document',
          to: email,
          inviter,
          documentTitle: document.title,
          role: input.role,
          link: this.link(token),
          expiresAt,
        }),
      );
    });
    this.outbox.wake();
    this.opts.onOutcome?.('document', 'sent');
    return this.sent(email, input.role, expiresAt, token);
  }

  /** Pending (and expired, not yet withdrawn) invitations to the workspace itself. */
  async listForWorkspace(actor: string, workspaceId: string): Promise<InvitationView[]> {
    authorizeWorkspace(await this.permissions.workspaceRole(actor, workspaceId), 'members.add');
    return (await this.openInvitations(workspaceId, null)).map(view);
  }

  async listForDocument(actor: string, documentId: string): Promise<InvitationView[]> {
    const info = await this.permissions.documentAccess(actor, documentId);
    if (!info) throw new NotFound('document not found');
    authorizeDocument(info, 'shares.manage');
    return (await this.openInvitations(info.document.workspaceId, documentId)).map(view);
  }

  /** Withdraws an open invitation: its link stops working at once. */
  async revoke(actor: string, target: { workspaceId: string } | { documentId: string }, id: string): Promise<void> {
    const row = await this.manageable(actor, target, id);
    await this.db.updateTable('invitations').set({ revoked_at: new Date() }).where('id', '=', row.id).execute();
    this.opts.onOutcome?.(row.document_id ? 'document' : 'workspace', 'withdrawn');
  }

  /** Sends an open invitation again with a new link (the old one stops working) and a new expiry. */
  async resend(
    actor: string,
    target: { workspaceId: string } | { documentId: string },
    id: string,
  ): Promise<InvitationSent> {
    const row = await this.manageable(actor, target, id);
    await this.countAgainstWorkspace(row.workspace_id);
    const inviter = await this.inviter(actor);
    const token = newLinkToken();
    const expiresAt = this.expiry();
    const workspace = await this.db
      .selectFrom('workspaces')
      .select('name')
      .where('id', '=', row.workspace_id)
      .executeTakeFirstOrThrow();
    const document = row.document_id
      ? await this.db.selectFrom('documents').select('title').where('id', '=', row.document_id).executeTakeFirst()
      : undefined;
    await this.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('invitations')
        .set({ token_hash: hashLinkToken(token), expires_at: expiresAt, invited_by: actor })
        .where('id', '=', row.id)
        .execute();
      const link = this.link(token);
      await this.outbox.enqueue(
        tx,
        'invitation',
        row.document_id
          ? invitationMail({
              kind: 'document',
              to: row.email,
              inviter,
              documentTitle: document?.title ?? '',
              role: row.role,
              link,
              expiresAt,
            })
          : invitationMail({
              kind: 'workspace',
              to: row.email,
              inviter,
              workspaceName: workspace.name,
              role: row.role,
              link,
              expiresAt,
            }),
      );
    });
    this.outbox.wake();
    this.opts.onOutcome?.(row.document_id ? 'document' : 'workspace', 'resent');
    return this.sent(row.email, row.role, expiresAt, token);
  }

  /**
   * Accepts an invitation by its link's token, for the account it was sent to. Accepting again by
   * the same account answers the same (the link still leads there); never lowers a role held.
   * Null when the token is not an invitation's (the caller then tries invite links).
   */
  async accept(actor: string, token: string): Promise<AcceptedInvitation | null> {
    return this.acceptWhere(actor, { tokenHash: hashLinkToken(token) });
  }

  /**
   * Accepts an invitation addressed to the caller's email from the app [I6]: only once that email
   * is verified (a link mailed to it was used), and only invitations addressed to it (404 else).
   */
  async acceptAddressed(actor: string, id: string): Promise<AcceptedInvitation> {
    const me = await this.db
      .selectFrom('users')
      .select(['email', 'email_verified_at'])
      .where('id', '=', actor)
      .executeTakeFirstOrThrow();
    const row = await this.db.selectFrom('invitations').select('email').where('id', '=', id).executeTakeFirst();
    if (!row || normalise(row.email) !== normalise(me.email)) throw new NotFound('invitation not found');
    if (!me.email_verified_at) {
      throw new Forbidden(
        'verify your email first (Account settings), or accept from the link in the invitation email',
      );
    }
    return (await this.acceptWhere(actor, { id })) as AcceptedInvitation;
  }

  private async acceptWhere(
    actor: string,
    by: { tokenHash: Buffer } | { id: string },
  ): Promise<AcceptedInvitation | null> {
    const outcome = await this.events.transaction(this.db, async (tx, emit) => {
      const row = await tx
        .selectFrom('invitations')
        .selectAll()
        .where((eb) => ('id' in by ? eb('id', '=', by.id) : eb('token_hash', '=', by.tokenHash)))
        .forUpdate()
        .executeTakeFirst();
      if (!row) return null;
      const target = { workspaceId: row.workspace_id, documentId: row.document_id, role: row.role };
      if (row.accepted_at && row.accepted_by === actor) return target;
      const unusable = unusableInvitation(row);
      if (unusable) return unusable;
      const me = await tx.selectFrom('users').select('email').where('id', '=', actor).executeTakeFirstOrThrow();
      if (normalise(me.email) !== normalise(row.email)) {
        return new Forbidden(`this invitation was sent to ${row.email}; log in with that address to accept it`);
      }
      if (row.document_id) {
        await tx
          .insertInto('document_shares')
          .values({
            document_id: row.document_id,
            user_id: actor,
            role: row.role as ShareRole,
            shared_by: row.invited_by,
          })
          .onConflict((oc) => oc.columns(['document_id', 'user_id']).doNothing())
          .execute();
        emit(PERMISSIONS_CHANNEL, { v: 1, type: 'share-changed', documentId: row.document_id, userId: actor });
      } else {
        const joined = await tx
          .insertInto('workspace_members')
          .values({ workspace_id: row.workspace_id, user_id: actor, role: row.role as WorkspaceRole })
          .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doNothing())
          .returning('role')
          .executeTakeFirst();
        if (joined) {
          emit(PERMISSIONS_CHANNEL, { v: 1, type: 'member-changed', workspaceId: row.workspace_id, userId: actor });
        } else {
          // Already a member (joined another way meanwhile): their role stays as it is.
          const held = await tx
            .selectFrom('workspace_members')
            .select('role')
            .where('workspace_id', '=', row.workspace_id)
            .where('user_id', '=', actor)
            .executeTakeFirstOrThrow();
          target.role = held.role;
        }
      }
      await tx
        .updateTable('invitations')
        .set({ accepted_at: new Date(), accepted_by: actor })
        .where('id', '=', row.id)
        .execute();
      // The link's token reached this inbox: the account's email is verified [I6].
      if ('tokenHash' in by) {
        await tx
          .updateTable('users')
          .set({ email_verified_at: new Date() })
          .where('id', '=', actor)
          .where('email_verified_at', 'is', null)
          .execute();
      }
      return target;
    });
    if (outcome === null) return null;
    if (outcome instanceof Error) {
      this.opts.onOutcome?.('workspace', outcome instanceof Gone ? goneOutcome(outcome) : 'wrong-account');
      throw outcome;
    }
    this.opts.onOutcome?.(outcome.documentId ? 'document' : 'workspace', 'accepted');
    return outcome;
  }

  /** What a link offers, for the page it opens (before logging in); null when not an invitation's. */
  async preview(token: string): Promise<{
    accepted: boolean;
    kind: 'workspace' | 'document';
    email: string;
    role: string;
    workspaceName: string;
    documentTitle: string | null;
    invitedBy: string | null;
    expiresAt: string;
  } | null> {
    const row = await this.db
      .selectFrom('invitations as i')
      .innerJoin('workspaces as w', 'w.id', 'i.workspace_id')
      .leftJoin('documents as d', 'd.id', 'i.document_id')
      .leftJoin('users as u', 'u.id', 'i.invited_by')
      .select([
        'i.email',
        'i.role',
        'i.document_id',
        'i.expires_at',
        'i.accepted_at',
        'i.revoked_at',
        'i.declined_at',
        'w.name',
        'd.title',
        'u.display_name',
      ])
      .where('i.token_hash', '=', hashLinkToken(token))
      .executeTakeFirst();
    if (!row) return null;
    // An accepted invitation still opens for its invitee (they log in); other dead links say why.
    const unusable = row.accepted_at ? null : unusableInvitation(row);
    if (unusable) throw unusable;
    return {
      accepted: row.accepted_at !== null,
      kind: row.document_id ? 'document' : 'workspace',
      email: row.email,
      role: row.role,
      workspaceName: row.name,
      documentTitle: row.title ?? null,
      invitedBy: row.display_name ?? null,
      expiresAt: row.expires_at.toISOString(),
    };
  }

  private async manageable(
    actor: string,
    target: { workspaceId: string } | { documentId: string },
    id: string,
  ): Promise<InvitationRow> {
    let query = this.db
      .selectFrom('invitations')
      .selectAll()
      .where('id', '=', id)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null);
    if ('workspaceId' in target) {
      authorizeWorkspace(await this.permissions.workspaceRole(actor, target.workspaceId), 'members.add');
      query = query.where('workspace_id', '=', target.workspaceId).where('document_id', 'is', null);
    } else {
      const info = await this.permissions.documentAccess(actor, target.documentId);
      if (!info) throw new NotFound('document not found');
      authorizeDocument(info, 'shares.manage');
      query = query.where('document_id', '=', target.documentId);
    }
    const row = await query.executeTakeFirst();
    if (!row) throw new NotFound('invitation not found (or already accepted or withdrawn)');
    // Only owners invite admins and owners; so only they withdraw or re-send those invitations.
    if (!row.document_id) {
      authorizeMemberAdd(await this.permissions.workspaceRole(actor, row.workspace_id), row.role as WorkspaceRole);
    }
    return row;
  }

  private async openInvitations(workspaceId: string, documentId: string | null): Promise<InvitationRow[]> {
    let query = this.db
      .selectFrom('invitations')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null);
    query = documentId ? query.where('document_id', '=', documentId) : query.where('document_id', 'is', null);
    return query.orderBy('created_at', 'desc').limit(1000).execute();
  }

  /** A new invitation replaces an open one to the same place and email (one link works at a time). */
  private async withdrawPending(tx: Sql, workspaceId: string, documentId: string | null, email: string) {
    let query = tx
      .updateTable('invitations')
      .set({ revoked_at: new Date() })
      .where('workspace_id', '=', workspaceId)
      .where((eb) => eb(eb.fn('lower', ['email']), '=', normalise(email)))
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null);
    query = documentId ? query.where('document_id', '=', documentId) : query.where('document_id', 'is', null);
    await query.execute();
  }

  private async countAgainstWorkspace(workspaceId: string): Promise<void> {
    const hit = await this.counters.increment(`invite:ws:${workspaceId}`, DAY_SECONDS);
    if (hit.count > this.opts.maxPerWorkspacePerDay) {
      throw new RateLimited(
        `this workspace sent ${this.opts.maxPerWorkspacePerDay} invitations today, its daily limit; try again later`,
        hit.resetInSeconds,
      );
    }
  }

  private async inviter(actor: string): Promise<{ displayName: string; email: string }> {
    const u = await this.db
      .selectFrom('users')
      .select(['display_name', 'email'])
      .where('id', '=', actor)
      .executeTakeFirstOrThrow();
    return { displayName: u.display_name, email: u.email };
  }

  private expiry(): Date {
    return new Date(Date.now() + this.opts.ttlHours * 3_600_000);
  }

  private link(token: string): string {
    return linkWithToken(this.opts.publicUrl, INVITE_PATH, token);
  }

  private sent(email: string, role: string, expiresAt: Date, token: string): InvitationSent {
    return {
      email,
      role,
      expiresAt: expiresAt.toISOString(),
      ...(this.opts.showLinks && { link: this.link(token) }),
    };
  }
}

export const goneOutcome = (g: Gone): InvitationOutcome =>
  g.code === 'link_expired'
    ? 'expired'
    : g.code === 'link_used'
      ? 'used'
      : g.code === 'link_revoked'
        ? 'revoked'
        : 'unknown';
