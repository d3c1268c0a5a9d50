import { describe, expect, it } from 'vitest';
import type { ProseMirrorJson } from '../../content/prosemirror-json.ts';
import { RenderError } from '../ports.ts';
import { checkRenderable, DEFAULT_RENDER_LIMITS, displayTitle, UNTITLED } from './limits.ts';
import { doc, paragraph, richDocument, text } from './test-support/sample-documents.ts';

function rejection(content: unknown, limits = DEFAULT_RENDER_LIMITS): RenderError {
  try {
    checkRenderable(content, limits);
  } catch (err) {
    if (err instanceof RenderError) return err;
    throw err;
  }
  throw new Error('the document was accepted');
}

describe('checkRenderable', () => {
  it('accepts a real document and reports its size', () => {
    expect(checkRenderable(richDocument())).toEqual({ nodes: expect.any(Number), textChars: 238, depth: 6 });
  });

  it('rejects a document 50,000 levels deep without overflowing the stack, permanently', () => {
    let node: ProseMirrorJson = paragraph(text('deep'));
    for (let level = 0; level < 50_000; level++) node = { type: 'blockquote', content: [node] };
    const error = rejection(doc(node));
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('document cannot be rendered: nested deeper than 100 levels');
  });

  it('rejects too many nodes and too much text', () => {
    const limits = { ...DEFAULT_RENDER_LIMITS, maxNodes: 10, maxTextChars: 20 };
    const many = doc(...Array.from({ length: 10 }, () => paragraph()));
    expect(rejection(many, limits).message).toBe('document cannot be rendered: more than 10 nodes');
    expect(rejection(doc(paragraph(text('x'.repeat(21)))), limits).message).toBe(
      'document cannot be rendered: more than 20 characters of text',
    );
  });

  it.each([
    ['null', null, 'a node is not an object'],
    ['an array', [], 'a node is not an object'],
    ['a node without a type', { content: [] }, 'a node has no type'],
    ['content that is not an array', { type: 'doc', content: 'x' }, 'a doc node has non-array content'],
    ['text that is not a string', doc({ type: 'text', text: 5 } as never), 'a text node has non-string text'],
    ['a malformed mark', doc({ type: 'text', text: 'a', marks: [null] } as never), 'a text node has a malformed mark'],
    ['a root that is not a doc', paragraph(text('a')), 'the root node is paragraph, not doc'],
  ])('rejects %s as malformed, permanently', (_name, content, reason) => {
    const error = rejection(content);
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(`document cannot be rendered: ${reason}`);
  });
});

describe('displayTitle', () => {
  it('collapses whitespace, cuts long titles with an ellipsis and names untitled documents', () => {
    expect(displayTitle('  a\n\tb  ')).toBe('a b');
    expect(displayTitle('😀'.repeat(400))).toBe(`${'😀'.repeat(299)}…`);
    expect(displayTitle('   ')).toBe(UNTITLED);
    expect(displayTitle(42)).toBe(UNTITLED);
  });
});
