/**
 * Builds a fresh Y.Doc from ProseMirror JSON, the inverse of projection.ts and the way
 * y-prosemirror writes a document: one Y.XmlElement per node (attrs as attributes), one
 * Y.XmlText per run of consecutive text nodes, marks as formatting attributes. Used to repair a
 * quarantined document: the same content, written by one client in order, so none of the
 * concurrent history that made it expensive survives. Hand-written because y-prosemirror's
 * `prosemirrorJSONToYDoc` needs the editor's ProseMirror schema, which the server does not load.
 */
import * as Y from 'yjs';
import { tiptapFragmentName } from './projection.ts';
import type { ProseMirrorJson } from './prosemirror-json.ts';

function markAttributes(node: ProseMirrorJson): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const mark of node.marks ?? []) attributes[mark.type] = mark.attrs ?? true;
  return attributes;
}

function children(nodes: readonly ProseMirrorJson[]): (Y.XmlElement | Y.XmlText)[] {
  const out: (Y.XmlElement | Y.XmlText)[] = [];
  let run: ProseMirrorJson[] = [];
  const flush = () => {
    if (run.length === 0) return;
    // A type not yet in a document keeps what is inserted into it and writes it on integration.
    const text = new Y.XmlText();
    let at = 0;
    for (const piece of run) {
      text.insert(at, piece.text ?? '', markAttributes(piece));
      at += (piece.text ?? '').length;
    }
    out.push(text);
    run = [];
  };
  for (const node of nodes) {
    if (node.type === 'text') {
      if (node.text) run.push(node);
      continue;
    }
    flush();
    const element = new Y.XmlElement(node.type);
    for (const [key, value] of Object.entries(node.attrs ?? {})) {
      if (value !== null && value !== undefined) element.setAttribute(key, value as string);
    }
    const inner = children(node.content ?? []);
    if (inner.length > 0) element.insert(0, inner);
    out.push(element);
  }
  flush();
  return out;
}

/** A new Y.Doc whose 'default' fragment holds `content` (a `doc` node); the caller destroys it. */
export function documentFromProsemirror(content: ProseMirrorJson): Y.Doc {
  const doc = new Y.Doc({ gc: true });
  doc.getXmlFragment(tiptapFragmentName).insert(0, children(content.content ?? []));
  return doc;
}
