/**
 * Deleting one's own account (docs/spec/auth.md [A12]). A preview lists what it touches: the
 * documents the person owns and the workspaces they hold. Deleting needs the password (or, for an
 * account of an external identity provider, a log-in in the last RECENT_LOGIN_SECONDS), is
 * refused (409) while they are the primary owner of a workspace others use, and in one
 * transaction: hands each owned document to the person chosen (when they are a member of its
 * workspace) or to the workspace's primary owner, or moves them all to the trash, as the caller
 * chose; deletes the workspaces nobody else uses; and deletes the account row, whose foreign keys
 * cascade the rest (see the list in the spec). Documents and workspaces must name a creator, so
 * theirs are re-pointed to a fresh anonymous "Deleted account" row that holds no personal data.
 * Permission events close the person's sockets and drop cached answers at once; an
 * `account-deleted` event drops the cached document rows that named them.
 */
import { v7 as uuidv7 } from 'uuid';
import { Forbidden, NotFound, Unprocessable } from '../../domain/errors.ts';
import { authorizeAccountDeletion, blocksAccountDeletion, type HeldWorkspace } from '../../domain/policy.ts';
import type { WorkspaceRole } from '../../domain/roles.ts';
import { withSpan } from '../../observability/tracing.ts';
import { DOCUMENTS_CHANNEL, type DomainEvents, PERMISSIONS_CHANNEL } from '../events.ts';
import type { Sql } from '../ports.ts';
import type { AccountSecurity } from './account-security.ts';

/** How recent a log-in stands in for a password on accounts that have none here. */
const RECENT_LOGIN_SECONDS = 300;
/** More than anyone owns in practice; the preview says the total either way. */
const PREVIEW_DOCUMENTS_MAX = 500;
export const DELETED_ACCOUNT_NAME = 'Deleted account';

export type DeletionWorkspace = {
  id: string;
  name: string;
  role: WorkspaceRole;
  isPrimaryOwner: boolean;
  otherMembers: number;
  /** blocks: hand primary ownership over first; deleted: nobody else uses it; left: the others keep it. */
  outcome: 'blocks' | 'deleted' | 'left';
};
export type DeletionPreview = {
  workspaces: DeletionWorkspace[];
  ownedDocuments: { id: string; title: string; workspaceId: string; workspaceName: string; trashed: boolean }[];
  ownedDocumentsTotal: number;
  canDelete: boolean;
};
export type DeletionRequest = { password?: string; documents: 'transfer' | 'trash'; transferTo?: string };
export type DeletionResult = { documentsTransferred: number; documentsTrashed: number; workspacesDeleted: number };

type Held = HeldWorkspace & { id: string; primaryOwnerId: string | null };

export class AccountDeletion {
  private readonly db: Sql;
  private readonly events: DomainEvents;
  private readonly security: AccountSecurity;
  private readonly onDeleted: (userId: string, result: DeletionResult, documents: DeletionRequest['documents']) => void;

  constructor(
    db: Sql,
    events: DomainEvents,
    security: AccountSecurity,
    onDeleted: (userId: string, result: DeletionResult, documents: DeletionRequest['documents']) => void = () =>
      undefined,
  ) {
    this.db = db;
    this.events = events;
    this.security = security;
    this.onDeleted = onDeleted;
  }

  /** What deleting the account would do, for the warning shown before it. */
  async preview(actor: string): Promise<DeletionPreview> {
    const held = await this.held(this.db, actor);
    const deleted = new Set(held.filter((w) => w.otherMembers === 0).map((w) => w.id));
    const docs = await this.db
      .selectFrom('documents as d')
      .innerJoin('workspaces as w', 'w.id', 'd.workspace_id')
      .select(['d.id', 'd.title', 'd.workspace_id', 'w.name as workspace_name', 'd.trashed_at'])
      .where('d.owner_id', '=', actor)
      .orderBy('w.name')
      .orderBy('d.title')
      .limit(PREVIEW_DOCUMENTS_MAX + deleted.size * PREVIEW_DOCUMENTS_MAX)
      .execute();
    const kept = docs.filter((d) => !deleted.has(d.workspace_id));
    return {
      workspaces: held.map((w) => ({
        id: w.id,
        name: w.name,
        role: w.role,
        isPrimaryOwner: w.isPrimaryOwner,
        otherMembers: w.otherMembers,
        outcome: w.otherMembers === 0 ? 'deleted' : blocksAccountDeletion(w) ? 'blocks' : 'left',
      })),
      ownedDocuments: kept.slice(0, PREVIEW_DOCUMENTS_MAX).map((d) => ({
        id: d.id,
        title: d.title,
        workspaceId: d.workspace_id,
        workspaceName: d.workspace_name,
        trashed: d.trashed_at !== null,
      })),
      ownedDocumentsTotal: kept.length,
      canDelete: !held.some(blocksAccountDeletion),
    };
  }

  async delete(actor: string, tokenIssuedAt: number | undefined, input: DeletionRequest): Promise<DeletionResult> {
    return withSpan('auth.delete_account', { 'account.documents': input.documents }, async () => {
      await this.reauthenticate(actor, tokenIssuedAt, input.password);
      if (input.transferTo === actor) {
        throw new Unprocessable('choose someone else to receive your documents', 'transfer_to_self');
      }
      const result = await this.events.transaction(this.db, async (tx, emit) => {
        // Lock the workspaces held, as membership changes do, so nobody joins or leaves meanwhile.
        const held = await this.held(tx, actor, true);
        authorizeAccountDeletion(held);
        const deleted = held.filter((w) => w.otherMembers === 0);
        const primaryOf = new Map(held.map((w) => [w.id, w.primaryOwnerId]));
        const owned = await tx
          .selectFrom('documents')
          .select(['id', 'workspace_id', 'trashed_at'])
          .where('owner_id', '=', actor)
          .execute();
        const kept = owned.filter((d) => !deleted.some((w) => w.id === d.workspace_id));
        let transferred = 0;
        let trashed = 0;
        if (input.documents === 'transfer') {
          const chosenIn = new Set<string>();
          if (input.transferTo) {
            const rows = await tx
              .selectFrom('workspace_members')
              .select('workspace_id')
              .where('user_id', '=', input.transferTo)
              .where('role', 'in', ['member', 'admin', 'owner'])
              .execute();
            for (const r of rows) chosenIn.add(r.workspace_id);
            if (!kept.some((d) => chosenIn.has(d.workspace_id))) {
              throw new Unprocessable(
                'the person you chose is not a member of any workspace where you own documents',
                'owner_not_member',
              );
            }
          }
          for (const d of kept) {
            const primary = primaryOf.get(d.workspace_id) ?? null;
            const to =
              input.transferTo && chosenIn.has(d.workspace_id) ? input.transferTo : primary !== actor ? primary : null;
            if (to) {
              await tx.updateTable('documents').set({ owner_id: to }).where('id', '=', d.id).execute();
              transferred++;
            } else if (d.trashed_at === null) {
              await tx
                .updateTable('documents')
                .set({ trashed_at: new Date(), trashed_by: null })
                .where('id', '=', d.id)
                .execute();
              emit(PERMISSIONS_CHANNEL, {
                v: 1,
                type: 'document-trashed',
                documentId: d.id,
                workspaceId: d.workspace_id,
              });
              trashed++;
            }
            emit(PERMISSIONS_CHANNEL, {
              v: 1,
              type: 'document-access-changed',
              documentId: d.id,
              workspaceId: d.workspace_id,
            });
          }
        } else {
          for (const d of kept.filter((x) => x.trashed_at === null)) {
            await tx
              .updateTable('documents')
              .set({ trashed_at: new Date(), trashed_by: null })
              .where('id', '=', d.id)
              .execute();
            emit(PERMISSIONS_CHANNEL, {
              v: 1,
              type: 'document-trashed',
              documentId: d.id,
              workspaceId: d.workspace_id,
            });
            trashed++;
          }
        }
        for (const w of deleted) {
          await tx.deleteFrom('workspaces').where('id', '=', w.id).execute();
          emit(PERMISSIONS_CHANNEL, { v: 1, type: 'workspace-deleted', workspaceId: w.id });
        }
        // Every socket of theirs re-checked (and closed: they have no access any more).
        for (const w of held.filter((x) => x.otherMembers > 0)) {
          emit(PERMISSIONS_CHANNEL, { v: 1, type: 'member-changed', workspaceId: w.id, userId: actor });
        }
        const shares = await tx
          .selectFrom('document_shares')
          .select('document_id')
          .where('user_id', '=', actor)
          .execute();
        for (const s of shares)
          emit(PERMISSIONS_CHANNEL, { v: 1, type: 'share-changed', documentId: s.document_id, userId: actor });
        // Creator columns must name someone: an anonymous row with no email anyone has, no password.
        const tombstone = uuidv7();
        await tx
          .insertInto('users')
          .values({
            id: tombstone,
            email: `deleted-${tombstone}@deleted.invalid`,
            display_name: DELETED_ACCOUNT_NAME,
            password_hash: null,
          })
          .execute();
        await tx.updateTable('workspaces').set({ created_by: tombstone }).where('created_by', '=', actor).execute();
        await tx.updateTable('documents').set({ created_by: tombstone }).where('created_by', '=', actor).execute();
        // Cached document rows naming them as creator or owner are dropped everywhere [P4.1].
        emit(DOCUMENTS_CHANNEL, { v: 1, type: 'account-deleted', userId: actor });
        const gone = await tx.deleteFrom('users').where('id', '=', actor).executeTakeFirst();
        if (Number(gone.numDeletedRows) === 0) throw new NotFound('account not found');
        return { documentsTransferred: transferred, documentsTrashed: trashed, workspacesDeleted: deleted.length };
      });
      this.onDeleted(actor, result, input.documents);
      return result;
    });
  }

  private async reauthenticate(actor: string, tokenIssuedAt: number | undefined, password?: string): Promise<void> {
    const row = await this.db.selectFrom('users').select('password_hash').where('id', '=', actor).executeTakeFirst();
    if (!row) throw new NotFound('account not found');
    if (row.password_hash) {
      if (password === undefined) throw new Forbidden('enter your password to delete your account');
      await this.security.verifyCurrentPassword(actor, password);
      return;
    }
    const recent = tokenIssuedAt !== undefined && Date.now() / 1000 - tokenIssuedAt <= RECENT_LOGIN_SECONDS;
    if (!recent) {
      throw new Forbidden('sign in again (in the last 5 minutes) to delete your account: it has no password here');
    }
  }

  /** The workspaces the person is a member of, with how many others use each. */
  private async held(db: Sql, actor: string, lock = false): Promise<Held[]> {
    let q = db
      .selectFrom('workspace_members as m')
      .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
      .select((eb) => [
        'w.id',
        'w.name',
        'm.role',
        'w.primary_owner_id',
        eb
          .selectFrom('workspace_members as o')
          .select((e) => e.fn.countAll<string>().as('n'))
          .whereRef('o.workspace_id', '=', 'w.id')
          .where('o.user_id', '!=', actor)
          .as('others'),
        eb
          .selectFrom('workspace_members as o')
          .select((e) => e.fn.countAll<string>().as('n'))
          .whereRef('o.workspace_id', '=', 'w.id')
          .where('o.user_id', '!=', actor)
          .where('o.role', '=', 'owner')
          .as('other_owners'),
      ])
      .where('m.user_id', '=', actor)
      .orderBy('w.name');
    if (lock) q = q.forUpdate('w');
    const rows = await q.execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      role: r.role,
      primaryOwnerId: r.primary_owner_id,
      isPrimaryOwner: r.primary_owner_id === actor,
      otherMembers: Number(r.others ?? 0),
      otherOwners: Number(r.other_owners ?? 0),
    }));
  }
}
