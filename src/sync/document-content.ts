/**
 * The current content of a document for readers outside a room (REST, export): from the live
 * room when this instance has it open (it includes edits not yet compacted), otherwise from the
 * stored state plus the log.
 */
import { projectDocument } from '../content/projection.ts';
import type { ProseMirrorJson } from '../content/prosemirror-json.ts';
import { rebuildDocument } from '../content/stored-document.ts';
import type { UpdateLog } from './ports.ts';
import type { RoomRegistry } from './rooms.ts';

export class DocumentContent {
  private readonly log: UpdateLog;
  private readonly rooms: RoomRegistry | undefined;

  constructor(log: UpdateLog, rooms?: RoomRegistry) {
    this.log = log;
    this.rooms = rooms;
  }

  /** ProseMirror JSON and plain text; null when the document does not exist. */
  async read(
    documentId: string,
  ): Promise<{ content: ProseMirrorJson; text: string; source: 'room' | 'storage' } | null> {
    const room = this.rooms?.peek(documentId);
    if (room) return { ...projectDocument(room.doc), source: 'room' };
    const stored = await this.log.load(documentId);
    if (!stored) return null;
    // Unreadable rows are skipped, an unreadable state throws (content/stored-document.ts).
    const { doc } = rebuildDocument(stored.state, stored.updates);
    try {
      return { ...projectDocument(doc), source: 'storage' };
    } finally {
      doc.destroy();
    }
  }
}
