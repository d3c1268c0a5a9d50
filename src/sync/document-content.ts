/**
 * The current content of a document for readers outside a room (REST, export): from the live
 * room when this instance has it open (it includes edits not yet compacted), otherwise from the
 * stored state plus the log, rebuilt in a CRDT worker under budget [S11.2]. A quarantined
 * document, or one whose rebuild goes over budget, answers 423 (and the latter is quarantined).
 */
import { CrdtBudgetExceeded, type CrdtPool } from '../content/crdt-pool.ts';
import { projectDocument } from '../content/projection.ts';
import type { ProseMirrorJson } from '../content/prosemirror-json.ts';
import { Locked } from '../domain/errors.ts';
import type { QuarantineStore, UpdateLog } from './ports.ts';
import type { RoomRegistry } from './rooms.ts';

export class DocumentContent {
  private readonly log: UpdateLog;
  private readonly rooms: RoomRegistry | undefined;
  private readonly crdt: CrdtPool;
  private readonly quarantine: QuarantineStore;

  constructor(deps: { log: UpdateLog; rooms?: RoomRegistry; crdt: CrdtPool; quarantine: QuarantineStore }) {
    this.log = deps.log;
    this.rooms = deps.rooms;
    this.crdt = deps.crdt;
    this.quarantine = deps.quarantine;
  }

  /** ProseMirror JSON and plain text; null when the document does not exist. */
  async read(
    documentId: string,
  ): Promise<{ content: ProseMirrorJson; text: string; source: 'room' | 'storage' } | null> {
    const room = this.rooms?.peek(documentId);
    if (room) return { ...projectDocument(room.doc), source: 'room' };
    const quarantined = await this.quarantine.get(documentId);
    if (quarantined) throw new Locked(`the document is quarantined: ${quarantined.reason}`);
    const stored = await this.log.load(documentId);
    if (!stored) return null;
    try {
      // Unreadable rows are skipped, an unreadable state throws (content/stored-document.ts).
      // Nothing is applied on this thread, so only the worker's budget applies.
      const r = await this.crdt.rebuild(
        { state: stored.state, updates: stored.updates },
        { project: true, enforceMainBudget: false },
      );
      const content = (r.content ?? { type: 'doc', content: [{ type: 'paragraph' }] }) as ProseMirrorJson;
      return { content, text: r.text ?? '', source: 'storage' };
    } catch (err) {
      if (!(err instanceof CrdtBudgetExceeded)) throw err;
      await this.quarantine.mark(documentId, err.message, { ...err.detail, trigger: 'read' });
      throw new Locked(`the document is quarantined: ${err.message}`);
    }
  }
}
