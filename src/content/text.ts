/**
 * Plain text of a ProseMirror JSON document, for full-text search and text export: one line per
 * text block (so words never run together across blocks, list items or hard breaks), code blocks
 * verbatim, no markup. An image contributes its alt text; a horizontal rule an empty line.
 */
import { hasInlineContent, maxNestingDepth, type ProseMirrorJson, stringAttr } from './prosemirror-json.ts';

export function toPlainText(doc: ProseMirrorJson): string {
  return blockText(doc, 0);
}

function inlineText(node: ProseMirrorJson): string {
  if (node.type === 'text') return node.text ?? '';
  if (node.type === 'hardBreak') return '\n';
  if (node.type === 'image') return stringAttr(node, 'alt') ?? '';
  return stringAttr(node, 'label') ?? '';
}

function blockText(node: ProseMirrorJson, depth: number): string {
  if (depth > maxNestingDepth) return '';
  const children = node.content ?? [];
  if (children.length === 0) return inlineText(node);
  if (hasInlineContent(node)) return children.map(inlineText).join('');
  return children.map((child) => blockText(child, depth + 1)).join('\n');
}
