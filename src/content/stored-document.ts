/**
 * Rebuilds a Y.Doc from what the update log stores — the compacted state plus the rows appended
 * since — with ONE rule for every reader (a room at load and catch-up, compaction, the REST
 * content read, the export's pinned copy):
 *
 * - the compacted state must decode; if it does not, `StoredStateError` is thrown: the document
 *   cannot be read, and reading it again will not help;
 * - a log row Yjs cannot integrate is skipped and counted in `skipped` (the caller reports it):
 *   one bad row must not make a whole document unreadable or block its compaction.
 *
 * Everything is applied in one transaction, so observers see one change.
 */
import * as Y from 'yjs';

export class StoredStateError extends Error {}

/** Applies stored state and rows to `doc` (with `origin` as the transaction origin). */
export function applyStored(
  doc: Y.Doc,
  state: Uint8Array | null,
  updates: readonly Uint8Array[],
  origin: unknown = null,
): { skipped: number } {
  let skipped = 0;
  Y.transact(
    doc,
    () => {
      if (state) {
        try {
          Y.applyUpdate(doc, state, origin);
        } catch (err) {
          throw new StoredStateError('the stored document state could not be decoded', { cause: err });
        }
      }
      for (const u of updates) {
        try {
          Y.applyUpdate(doc, u, origin);
        } catch {
          skipped++;
        }
      }
    },
    origin,
  );
  return { skipped };
}

/** A fresh Y.Doc holding the stored document; the caller destroys it. */
export function rebuildDocument(
  state: Uint8Array | null,
  updates: readonly Uint8Array[],
): { doc: Y.Doc; skipped: number } {
  const doc = new Y.Doc({ gc: true });
  try {
    return { doc, ...applyStored(doc, state, updates) };
  } catch (err) {
    doc.destroy();
    throw err;
  }
}
