/**
 * Reads a document's Y.Doc as ProseMirror JSON and plain text, the way y-prosemirror (and so
 * TipTap's Collaboration extension) maps it: the XmlFragment 'default' holds one Y.XmlElement per
 * node (nodeName = node type, attributes = node attrs) and one Y.XmlText per run of text, whose
 * formatting attributes are the marks (name → attrs; `name--hash` for overlapping marks).
 * Pure: reads the doc, never writes to it.
 *
 * An empty fragment projects to `{ type: 'doc', content: [{ type: 'paragraph' }] }`, which is
 * what TipTap's `editor.getJSON()` returns for an empty document and what ProseMirror accepts as
 * a valid doc (`block+`), so the projection can be loaded back into an editor as it is.
 */
import * as Y from 'yjs';
import { maxNestingDepth, type ProseMirrorJson, type ProseMirrorMark } from './prosemirror-json.ts';
import { storableJson } from './storable-text.ts';
import { toPlainText } from './text.ts';

export type { ProseMirrorJson, ProseMirrorMark } from './prosemirror-json.ts';

/** The root type TipTap's Collaboration extension binds to (its `field` option). */
export const tiptapFragmentName = 'default';

export type DocumentProjection = { content: ProseMirrorJson; text: string };

/** y-prosemirror's suffix for marks that may overlap themselves (`comment--aB3x+9/=`). */
const overlappingMarkSuffix = /--[a-zA-Z0-9+/=]{8}$/;

/** Same order as the editor's schema, so marks come out as `editor.getJSON()` lists them. */
const markOrder = ['link', 'bold', 'code', 'italic', 'strike', 'underline', 'highlight'];

export function projectDocument(doc: Y.Doc): DocumentProjection {
  const children = projectChildren(doc.getXmlFragment(tiptapFragmentName), 1);
  // Stored as jsonb and text: a NUL or lone surrogate typed into the document must not fail the write [S4.2].
  const content = storableJson<ProseMirrorJson>({
    type: 'doc',
    content: children.length > 0 ? children : [{ type: 'paragraph' }],
  });
  return { content, text: toPlainText(content) };
}

function projectChildren(parent: Y.XmlFragment | Y.XmlElement, depth: number): ProseMirrorJson[] {
  if (depth > maxNestingDepth) return [];
  const nodes: ProseMirrorJson[] = [];
  for (const child of parent.toArray()) {
    if (child instanceof Y.XmlText) nodes.push(...projectText(child));
    else if (child instanceof Y.XmlElement) nodes.push(projectElement(child, depth));
  }
  return nodes;
}

function projectElement(element: Y.XmlElement, depth: number): ProseMirrorJson {
  const node: ProseMirrorJson = { type: element.nodeName };
  const attrs = element.getAttributes() as Record<string, unknown>;
  if (Object.keys(attrs).length > 0) node.attrs = { ...attrs };
  const content = projectChildren(element, depth + 1);
  if (content.length > 0) node.content = content;
  return node;
}

type DeltaOp = { insert?: unknown; attributes?: Record<string, unknown> };

function projectText(text: Y.XmlText): ProseMirrorJson[] {
  const nodes: ProseMirrorJson[] = [];
  for (const op of text.toDelta() as DeltaOp[]) {
    // y-prosemirror writes only strings into text; embeds would come from another editor.
    if (typeof op.insert !== 'string' || op.insert === '') continue;
    const node: ProseMirrorJson = { type: 'text', text: op.insert };
    const marks = marksOf(op.attributes);
    if (marks.length > 0) node.marks = marks;
    nodes.push(node);
  }
  return nodes;
}

function marksOf(attributes: Record<string, unknown> | undefined): ProseMirrorMark[] {
  const marks: ProseMirrorMark[] = [];
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    const mark: ProseMirrorMark = { type: name.replace(overlappingMarkSuffix, '') };
    if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
      mark.attrs = { ...(value as Record<string, unknown>) };
    }
    marks.push(mark);
  }
  return marks.sort((a, b) => rank(a.type) - rank(b.type) || a.type.localeCompare(b.type));
}

function rank(type: string): number {
  const index = markOrder.indexOf(type);
  return index === -1 ? markOrder.length : index;
}
