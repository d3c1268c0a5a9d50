/**
 * Checks a new comment's anchor against the document as it is now (docs/spec/comments.md [C4]):
 * the live room's Y.Doc when this instance has it open, else the stored state and log rebuilt in
 * a CRDT worker under budget (as a room load does), then applied here to resolve the positions.
 */
import * as Y from 'yjs';
import { type Anchor, anchorProblem } from '../content/comment-anchors.ts';
import { CrdtBudgetExceeded, type CrdtPool } from '../content/crdt-pool.ts';
import type { QuarantineStore, UpdateLog } from './ports.ts';
import type { RoomRegistry } from './rooms.ts';

export class CommentAnchorCheck {
  private readonly deps: { log: UpdateLog; rooms?: RoomRegistry; crdt: CrdtPool; quarantine: QuarantineStore };

  constructor(deps: CommentAnchorCheck['deps']) {
    this.deps = deps;
  }

  /** Why the anchor cannot be used (outside the document, deleted text), or null. */
  async problem(documentId: string, anchor: Anchor): Promise<string | null> {
    const room = this.deps.rooms?.peek(documentId);
    if (room) return anchorProblem(room.doc, anchor);
    const quarantined = await this.deps.quarantine.get(documentId);
    // Nobody can open a quarantined document, so nobody has a range of it to comment on.
    if (quarantined) return 'the document is quarantined: its text cannot be read now';
    const stored = await this.deps.log.load(documentId);
    if (!stored) return 'points outside the document (no such text)';
    let state: Uint8Array | null;
    try {
      state = (await this.deps.crdt.rebuild({ state: stored.state, updates: stored.updates })).state;
    } catch (err) {
      if (err instanceof CrdtBudgetExceeded) return 'the document is over its CRDT budget: its text cannot be read now';
      throw err;
    }
    const doc = new Y.Doc();
    try {
      if (state) Y.applyUpdate(doc, state);
      return anchorProblem(doc, anchor);
    } finally {
      doc.destroy();
    }
  }
}
