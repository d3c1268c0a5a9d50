/**
 * Splits a container's children into blocks and runs of inline nodes, so a stray text, mention
 * or hard break among blocks (content another editor wrote, not TipTap) prints as a paragraph of
 * its own instead of vanishing or swallowing the blocks around it.
 */
import type { ProseMirrorJson } from '../../content/prosemirror-json.ts';

const inlineTypes = new Set(['text', 'hardBreak', 'mention', 'emoji', 'commentStart', 'commentRef']);

export type BlockGroup = { kind: 'block'; node: ProseMirrorJson } | { kind: 'inline'; nodes: ProseMirrorJson[] };

export function groupBlocks(children: ProseMirrorJson[]): BlockGroup[] {
  const groups: BlockGroup[] = [];
  for (const node of children) {
    const last = groups.at(-1);
    if (!inlineTypes.has(node.type)) groups.push({ kind: 'block', node });
    else if (last?.kind === 'inline') last.nodes.push(node);
    else groups.push({ kind: 'inline', nodes: [node] });
  }
  return groups;
}
