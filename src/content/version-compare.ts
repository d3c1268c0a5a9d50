/**
 * What changed between two versions of one document, block by block, for the history panel:
 * each text block (paragraph, heading, list item, ...) as segments that are unchanged, added or
 * removed, with the Yjs client id that wrote each added or removed run (the caller maps client
 * ids to people). Pure: states in, JSON out; the CRDT pool runs it off the main thread.
 *
 * Both states come from the same history, so there is no text diffing to guess at: the older
 * state is loaded first, the newer one on top (gc off, so text deleted since keeps its content),
 * and each item says for itself whether it existed before (its clock is below the older state
 * vector), whether it was deleted then, and whether it is deleted now. When the histories do not
 * line up (a repair), the older state shares nothing and the result shows it all as replaced.
 */
import * as Y from 'yjs';
import { tiptapFragmentName } from './projection.ts';

export type SegmentStatus = 'same' | 'added' | 'removed';
export type CompareSegment = { text: string; status: SegmentStatus; clientId?: number };
export type CompareBlock = { type: string; status: SegmentStatus; segments: CompareSegment[] };
export type Comparison = {
  blocks: CompareBlock[];
  added: number;
  removed: number;
  /** Client ids that wrote added or removed text. */
  clients: number[];
};

/** Longest comparison we build: past it, the rest of the document is left out (a panel, not an export). */
const MAX_BLOCKS = 20_000;

export function compareStates(older: Uint8Array | null, newer: Uint8Array): Comparison {
  const before = new Y.Doc({ gc: true });
  const both = new Y.Doc({ gc: false });
  try {
    if (older) Y.applyUpdate(before, older);
    const beforeVector = Y.decodeStateVector(Y.encodeStateVector(before));
    const deletedBefore = Y.createDeleteSetFromStructStore(before.store);
    if (older) Y.applyUpdate(both, older);
    Y.applyUpdate(both, newer);
    const status = (item: Y.Item, inherited: SegmentStatus): SegmentStatus | null => {
      const existed = item.id.clock < (beforeVector.get(item.id.client) ?? 0);
      if (existed && Y.isDeleted(deletedBefore, item.id)) return null;
      if (!existed && item.deleted) return null; // written and deleted between the two versions
      if (inherited !== 'same') return inherited;
      if (!existed) return 'added';
      return item.deleted ? 'removed' : 'same';
    };
    const out: Comparison = { blocks: [], added: 0, removed: 0, clients: [] };
    const clients = new Set<number>();
    const walk = (parent: Y.XmlFragment | Y.XmlElement, inherited: SegmentStatus) => {
      for (let item = parent._start; item !== null && out.blocks.length < MAX_BLOCKS; item = item.right) {
        const s = status(item, inherited);
        if (s === null || !(item.content instanceof Y.ContentType)) continue;
        const type = item.content.type;
        if (!(type instanceof Y.XmlElement)) continue;
        if (hasText(type)) out.blocks.push(block(type, s));
        else walk(type, s);
      }
    };
    const block = (element: Y.XmlElement, blockStatus: SegmentStatus): CompareBlock => {
      const segments: CompareSegment[] = [];
      for (let item = element._start; item !== null; item = item.right) {
        const s = status(item, blockStatus);
        if (s === null || !(item.content instanceof Y.ContentType) || !(item.content.type instanceof Y.XmlText))
          continue;
        for (let run = item.content.type._start; run !== null; run = run.right) {
          if (!(run.content instanceof Y.ContentString)) continue;
          const rs = status(run, s);
          if (rs === null) continue;
          const text = run.content.str;
          const last = segments.at(-1);
          const clientId = rs === 'same' ? undefined : run.id.client;
          if (last && last.status === rs && last.clientId === clientId) last.text += text;
          else segments.push(clientId === undefined ? { text, status: rs } : { text, status: rs, clientId });
          if (rs === 'added') out.added += text.length;
          if (rs === 'removed') out.removed += text.length;
          if (clientId !== undefined) clients.add(clientId);
        }
      }
      return { type: element.nodeName, status: blockStatus, segments };
    };
    walk(both.getXmlFragment(tiptapFragmentName), 'same');
    out.clients = [...clients];
    return out;
  } finally {
    before.destroy();
    both.destroy();
  }
}

/** A block that holds text directly (a paragraph, heading, code block), as opposed to a container (a list). */
function hasText(element: Y.XmlElement): boolean {
  // Deleted children count too: a removed list is still a container.
  for (let item = element._start; item !== null; item = item.right) {
    if (item.content instanceof Y.ContentType) return item.content.type instanceof Y.XmlText;
  }
  return true;
}
