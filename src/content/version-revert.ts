/**
 * The change that brings a document back to a version's content, as ONE new Yjs update on top of
 * its current state — never a rewrite of history. Text the version still shares with the current
 * document stays the same items, so whatever a collaborator types into it meanwhile merges with
 * the restore instead of vanishing. Pure: states in, update out (the CRDT pool runs it off the
 * main thread).
 *
 * How: the version's state is a prefix of the document's history. Replaying what happened since
 * (current minus version) on a copy of the version inside a Yjs UndoManager and undoing it yields
 * exactly the inverse of those changes: text inserted since is deleted, text deleted since is
 * inserted again (as new items), attribute changes are reverted. When the histories do not line up
 * (a repair re-created the document with new client ids, S11.6), the fallback replaces the
 * top-level blocks that differ.
 */
import * as Y from 'yjs';
import { tiptapFragmentName } from './projection.ts';

const REPLAY = Symbol('replay');

/** An update that turns `current`'s content into `target`'s; null when they already match. */
export function revertUpdate(current: Uint8Array, target: Uint8Array): Uint8Array | null {
  const targetVector = Y.decodeStateVector(Y.encodeStateVectorFromUpdate(target));
  const currentVector = Y.decodeStateVector(Y.encodeStateVectorFromUpdate(current));
  let prefix = true;
  for (const [client, clock] of targetVector) if ((currentVector.get(client) ?? 0) < clock) prefix = false;
  return prefix ? undoSince(current, target) : replaceBlocks(current, target);
}

function undoSince(current: Uint8Array, target: Uint8Array): Uint8Array | null {
  // gc off: the undo needs the content of what the replay deletes.
  const doc = new Y.Doc({ gc: false });
  try {
    Y.applyUpdate(doc, target);
    const since = Y.diffUpdate(current, Y.encodeStateVector(doc));
    const undo = new Y.UndoManager(doc.getXmlFragment(tiptapFragmentName), {
      trackedOrigins: new Set([REPLAY]),
      captureTimeout: Number.POSITIVE_INFINITY,
    });
    Y.applyUpdate(doc, since, REPLAY);
    const changes: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => changes.push(u));
    while (undo.canUndo()) undo.undo();
    undo.destroy();
    return changes.length === 0 ? null : Y.mergeUpdates(changes);
  } finally {
    doc.destroy();
  }
}

function replaceBlocks(current: Uint8Array, target: Uint8Array): Uint8Array | null {
  const doc = new Y.Doc({ gc: true });
  const from = new Y.Doc({ gc: true });
  try {
    Y.applyUpdate(doc, current);
    Y.applyUpdate(from, target);
    const fragment = doc.getXmlFragment(tiptapFragmentName);
    const wanted = from.getXmlFragment(tiptapFragmentName).toArray();
    const have = fragment.toArray();
    const key = (n: unknown) => (n instanceof Y.XmlElement || n instanceof Y.XmlText ? n.toString() : '');
    // Blocks equal at the start and the end are kept (typing in them survives); the middle is replaced.
    let head = 0;
    while (head < have.length && head < wanted.length && key(have[head]) === key(wanted[head])) head++;
    let tail = 0;
    while (
      tail < have.length - head &&
      tail < wanted.length - head &&
      key(have[have.length - 1 - tail]) === key(wanted[wanted.length - 1 - tail])
    )
      tail++;
    const removeCount = have.length - head - tail;
    const insert = wanted
      .slice(head, wanted.length - tail)
      .filter((n): n is Y.XmlElement | Y.XmlText => n instanceof Y.XmlElement || n instanceof Y.XmlText)
      .map((n) => n.clone());
    if (removeCount === 0 && insert.length === 0) return null;
    const changes: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => changes.push(u));
    doc.transact(() => {
      if (removeCount > 0) fragment.delete(head, removeCount);
      if (insert.length > 0) fragment.insert(head, insert);
    });
    return Y.mergeUpdates(changes);
  } finally {
    doc.destroy();
    from.destroy();
  }
}
