/**
 * Invitations addressed to the signed-in person's email, in the app (docs/spec/auth.md [I6]):
 * listed and declined here, accepted through Invitations.acceptAddressed. Only once the account's
 * email is verified — a link mailed to it was used — since sign-up does not prove the inbox: an
 * account made with someone else's address must not see or answer that person's invitations.
 */
import { Forbidden, NotFound } from '../domain/errors.ts';
import type { Sql } from './ports.ts';

export type AddressedInvitation = {
  id: string;
  kind: 'workspace' | 'document';
  workspaceId: string;
  workspaceName: string;
  documentId: string | null;
  documentTitle: string | null;
  role: string;
  invitedBy: string | null;
  createdAt: string;
  expiresAt: string;
};

/** More pending invitations than anyone has; bounds the list. */
const MAX_LISTED = 100;

const normalise = (email: string) => email.trim().toLowerCase();

export class MyInvitations {
  private readonly db: Sql;
  private readonly onDeclined: () => void;

  constructor(db: Sql, onDeclined: () => void = () => undefined) {
    this.db = db;
    this.onDeclined = onDeclined;
  }

  /** Pending (not accepted, withdrawn, declined or expired) invitations to the caller's verified email. */
  async list(actor: string): Promise<{ emailVerified: boolean; items: AddressedInvitation[] }> {
    const me = await this.me(actor);
    if (!me.email_verified_at) return { emailVerified: false, items: [] };
    const rows = await this.db
      .selectFrom('invitations as i')
      .innerJoin('workspaces as w', 'w.id', 'i.workspace_id')
      .leftJoin('documents as d', 'd.id', 'i.document_id')
      .leftJoin('users as u', 'u.id', 'i.invited_by')
      .select([
        'i.id',
        'i.workspace_id',
        'w.name as workspace_name',
        'i.document_id',
        'd.title as document_title',
        'd.trashed_at',
        'i.role',
        'u.display_name as invited_by',
        'i.created_at',
        'i.expires_at',
      ])
      .where((eb) => eb(eb.fn('lower', ['i.email']), '=', normalise(me.email)))
      .where('i.accepted_at', 'is', null)
      .where('i.revoked_at', 'is', null)
      .where('i.expires_at', '>', new Date())
      .orderBy('i.created_at', 'desc')
      .limit(MAX_LISTED)
      .execute();
    return {
      emailVerified: true,
      // A document in the trash cannot be opened: its invitation waits until it is restored.
      items: rows
        .filter((r) => r.trashed_at === null)
        .map((r) => ({
          id: r.id,
          kind: r.document_id ? 'document' : 'workspace',
          workspaceId: r.workspace_id,
          workspaceName: r.workspace_name,
          documentId: r.document_id,
          documentTitle: r.document_title ?? null,
          role: r.role,
          invitedBy: r.invited_by ?? null,
          createdAt: r.created_at.toISOString(),
          expiresAt: r.expires_at.toISOString(),
        })),
    };
  }

  /** Declines a pending invitation addressed to the caller: its link stops working, saying so. */
  async decline(actor: string, id: string): Promise<void> {
    const me = await this.me(actor);
    const addressed = await this.db
      .selectFrom('invitations')
      .select('id')
      .where('id', '=', id)
      .where((eb) => eb(eb.fn('lower', ['email']), '=', normalise(me.email)))
      .executeTakeFirst();
    if (!addressed) throw new NotFound('invitation not found');
    if (!me.email_verified_at) {
      throw new Forbidden('verify your email first (Account settings) to answer invitations here');
    }
    const now = new Date();
    const r = await this.db
      .updateTable('invitations')
      .set({ declined_at: now, revoked_at: now })
      .where('id', '=', id)
      .where((eb) => eb(eb.fn('lower', ['email']), '=', normalise(me.email)))
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new NotFound('invitation not found');
    this.onDeclined();
  }

  private async me(actor: string) {
    return this.db
      .selectFrom('users')
      .select(['email', 'email_verified_at'])
      .where('id', '=', actor)
      .executeTakeFirstOrThrow();
  }
}
