/**
 * A document's general access and its owner (docs/spec/auth.md [P7] [P8]): who may change them is
 * the policy's call; each change is one transaction whose permission event re-checks every open
 * socket of the document, so it holds on live sockets at once, on every instance.
 */
import { NotFound, Unprocessable } from '../domain/errors.ts';
import { authorizeDocument } from '../domain/policy.ts';
import { type GeneralAccess, workspaceAtLeast } from '../domain/roles.ts';
import { withSpan } from '../observability/tracing.ts';
import { DOC_COLUMNS, type DocumentView, view } from './documents.ts';
import { type DomainEvents, PERMISSIONS_CHANNEL } from './events.ts';
import type { PermissionCache } from './permissions.ts';
import type { Sql } from './ports.ts';

/** Told of every change, for metrics and logs. */
export type AccessChangeObserver = (
  change: { kind: 'general_access'; value: GeneralAccess } | { kind: 'owner'; value: string },
  documentId: string,
  actor: string,
) => void;

export class DocumentAccessSettings {
  private readonly db: Sql;
  private readonly permissions: PermissionCache;
  private readonly events: DomainEvents;
  private readonly observe: AccessChangeObserver;

  constructor(
    db: Sql,
    permissions: PermissionCache,
    events: DomainEvents,
    observe: AccessChangeObserver = () => undefined,
  ) {
    this.db = db;
    this.permissions = permissions;
    this.events = events;
    this.observe = observe;
  }

  /** Sets what every workspace member may do without a person share [P7]. */
  async setGeneralAccess(actor: string, documentId: string, generalAccess: GeneralAccess): Promise<DocumentView> {
    return withSpan('document.general_access', { 'document.general_access': generalAccess }, async () => {
      const info = await this.permissions.documentAccess(actor, documentId);
      if (!info) throw new NotFound('document not found');
      authorizeDocument(info, 'document.setGeneralAccess');
      const row = await this.events.transaction(this.db, async (tx, emit) => {
        const r = await tx
          .updateTable('documents')
          .set({ general_access: generalAccess })
          .where('id', '=', documentId)
          .returning(DOC_COLUMNS)
          .executeTakeFirst();
        if (r) emit(PERMISSIONS_CHANNEL, accessChanged(documentId, r.workspace_id));
        return r;
      });
      if (!row) throw new NotFound('document not found');
      this.observe({ kind: 'general_access', value: generalAccess }, documentId, actor);
      // Read afresh (the event has already dropped the cached answer here): the caller's share counts too.
      return view(row, (await this.permissions.documentAccess(actor, documentId)) ?? info);
    });
  }

  /**
   * Hands the document to another member of its workspace [P8]. The previous owner keeps editing it
   * through an editor share, so a restricted document is not lost to them by the transfer.
   */
  async transferOwnership(actor: string, documentId: string, newOwnerId: string): Promise<DocumentView> {
    return withSpan('document.transfer_ownership', {}, async () => {
      const info = await this.permissions.documentAccess(actor, documentId);
      if (!info) throw new NotFound('document not found');
      authorizeDocument(info, 'document.transferOwnership');
      const role = await this.permissions.workspaceRole(newOwnerId, info.document.workspaceId);
      if (!workspaceAtLeast(role, 'member')) {
        throw new Unprocessable(
          'the new owner must be a member, admin or owner of the workspace (invite them first)',
          'owner_not_member',
        );
      }
      const previous = info.document.ownerId;
      const row = await this.events.transaction(this.db, async (tx, emit) => {
        const r = await tx
          .updateTable('documents')
          .set({ owner_id: newOwnerId })
          .where('id', '=', documentId)
          .returning(DOC_COLUMNS)
          .executeTakeFirst();
        if (!r) return undefined;
        if (previous && previous !== newOwnerId) {
          await tx
            .insertInto('document_shares')
            .values({ document_id: documentId, user_id: previous, role: 'editor', shared_by: actor })
            .onConflict((oc) => oc.columns(['document_id', 'user_id']).doUpdateSet({ role: 'editor' }))
            .execute();
          emit(PERMISSIONS_CHANNEL, { v: 1, type: 'share-changed', documentId, userId: previous });
        }
        emit(PERMISSIONS_CHANNEL, accessChanged(documentId, r.workspace_id));
        return r;
      });
      if (!row) throw new NotFound('document not found');
      this.observe({ kind: 'owner', value: newOwnerId }, documentId, actor);
      const after = await this.permissions.documentAccess(actor, documentId);
      return view(row, after ?? { ...info, isOwner: false, access: 'none' });
    });
  }
}

const accessChanged = (documentId: string, workspaceId: string) =>
  ({ v: 1, type: 'document-access-changed', documentId, workspaceId }) as const;
