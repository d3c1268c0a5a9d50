/**
 * The guard rails every export passes before a renderer touches it: the content must be
 * ProseMirror JSON of a sane shape, depth and size. A document outside them is a permanent
 * failure (a non-retryable RenderError), never a crash or a half-rendered file.
 */
import { maxNestingDepth, type ProseMirrorJson } from '../../content/prosemirror-json.ts';
import { RenderError } from '../ports.ts';

export type RenderLimits = {
  /** Deepest node allowed (the doc is depth 0); deeper content would be silently dropped by the renderers. */
  maxDepth: number;
  /** Nodes of every kind, text runs included. */
  maxNodes: number;
  /** Characters of text over the whole document. */
  maxTextChars: number;
  /** Longer titles are cut (with an ellipsis), not rejected. */
  maxTitleChars: number;
};

/**
 * About 2,000 pages of prose: far past any real document, and a render of that size still fits
 * a worker's heap and the job's timeout.
 */
export const DEFAULT_RENDER_LIMITS: RenderLimits = {
  maxDepth: maxNestingDepth,
  maxNodes: 200_000,
  maxTextChars: 4_000_000,
  maxTitleChars: 300,
};

export type DocumentSize = { nodes: number; textChars: number; depth: number };

function invalid(message: string): RenderError {
  return new RenderError(`document cannot be rendered: ${message}`, { retryable: false });
}

/**
 * Walks the document without recursion (a hostile document may be 50,000 levels deep) and
 * throws a non-retryable RenderError at the first limit it passes or the first malformed node.
 */
export function checkRenderable(content: unknown, limits: RenderLimits = DEFAULT_RENDER_LIMITS): DocumentSize {
  const size: DocumentSize = { nodes: 0, textChars: 0, depth: 0 };
  const stack: { node: unknown; depth: number }[] = [{ node: content, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (typeof node !== 'object' || node === null || Array.isArray(node)) throw invalid('a node is not an object');
    const { type, content: children, text, marks, attrs } = node as Record<string, unknown>;
    if (typeof type !== 'string') throw invalid('a node has no type');
    if (text !== undefined && typeof text !== 'string') throw invalid(`a ${type} node has non-string text`);
    if (children !== undefined && !Array.isArray(children)) throw invalid(`a ${type} node has non-array content`);
    if (marks !== undefined && !Array.isArray(marks)) throw invalid(`a ${type} node has non-array marks`);
    if (attrs !== undefined && (typeof attrs !== 'object' || attrs === null))
      throw invalid(`a ${type} node has bad attrs`);
    for (const mark of (marks as unknown[] | undefined) ?? []) {
      if (typeof mark !== 'object' || mark === null || typeof (mark as { type?: unknown }).type !== 'string') {
        throw invalid(`a ${type} node has a malformed mark`);
      }
    }
    size.nodes++;
    size.depth = Math.max(size.depth, depth);
    size.textChars += typeof text === 'string' ? text.length : 0;
    if (depth > limits.maxDepth) throw invalid(`nested deeper than ${limits.maxDepth} levels`);
    if (size.nodes > limits.maxNodes) throw invalid(`more than ${limits.maxNodes} nodes`);
    if (size.textChars > limits.maxTextChars) throw invalid(`more than ${limits.maxTextChars} characters of text`);
    for (const child of (children as unknown[] | undefined) ?? []) stack.push({ node: child, depth: depth + 1 });
  }
  if ((content as ProseMirrorJson).type !== 'doc')
    throw invalid(`the root node is ${(content as ProseMirrorJson).type}, not doc`);
  return size;
}

export const UNTITLED = 'Untitled';

/** The title as it is printed: whitespace collapsed, cut at the limit, never empty. */
export function displayTitle(title: unknown, limits: RenderLimits = DEFAULT_RENDER_LIMITS): string {
  const collapsed = typeof title === 'string' ? title.replace(/\s+/g, ' ').trim() : '';
  const chars = Array.from(collapsed);
  if (chars.length === 0) return UNTITLED;
  if (chars.length <= limits.maxTitleChars) return collapsed;
  return `${chars.slice(0, limits.maxTitleChars - 1).join('')}…`;
}
