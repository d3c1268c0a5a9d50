/**
 * The ProseMirror JSON shape shared by the document projection and the renderers, with the
 * limits and small readers every renderer needs. Pure: no imports.
 */

export type ProseMirrorMark = { type: string; attrs?: Record<string, unknown> };

export type ProseMirrorJson = {
  type: string;
  attrs?: Record<string, unknown>;
  content?: ProseMirrorJson[];
  text?: string;
  marks?: ProseMirrorMark[];
};

/**
 * Nodes nested deeper than this (the doc itself is depth 0) are neither projected nor rendered.
 * 100 levels is 50 levels of nested lists: far past anything an editor produces, and it keeps
 * recursive renderers far from the stack limit on hostile documents.
 */
export const maxNestingDepth = 100;

/**
 * The nodes that flow inside a text block; everything else is a block. `commentStart`/`commentRef`
 * are an export's comment markers (src/export/render/comment-notes.ts).
 */
const inlineNodeTypes = new Set(['text', 'hardBreak', 'mention', 'emoji', 'commentStart', 'commentRef']);

function isInline(node: ProseMirrorJson): boolean {
  return inlineNodeTypes.has(node.type);
}

/**
 * A node whose children are all inline (paragraph, heading, or an unknown node holding text).
 * All, not some: one stray inline node among blocks (content another editor wrote) must not
 * turn the container into one paragraph and drop its blocks.
 */
export function hasInlineContent(node: ProseMirrorJson): boolean {
  const content = node.content;
  return content !== undefined && content.length > 0 && content.every(isInline);
}

export function stringAttr(node: ProseMirrorJson, name: string): string | undefined {
  const value = node.attrs?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** An integer attribute clamped into [min, max]; numeric strings count, anything else is the fallback. */
export function integerAttr(node: ProseMirrorJson, name: string, fallback: number, min: number, max: number): number {
  const raw = node.attrs?.[name];
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(value)));
}

/** The concatenated text of a node's text children (for code blocks, whose content is plain text). */
export function textContent(node: ProseMirrorJson): string {
  return (node.content ?? []).map((child) => (child.type === 'hardBreak' ? '\n' : (child.text ?? ''))).join('');
}
