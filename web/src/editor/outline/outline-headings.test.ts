import { describe, expect, it } from 'vitest';
import { isOutlineShortcut, type OutlineHeading, outlineHeadings, sameOutline } from './outline-headings.ts';

type FakeNode = {
  type: { name: string };
  attrs: Record<string, unknown>;
  textContent: string;
  children?: FakeNode[];
  descendants(f: (node: FakeNode, pos: number) => boolean | undefined): void;
};

/** A tiny document tree with ProseMirror's descendants() contract (positions by node order here). */
function node(name: string, attrs: Record<string, unknown> = {}, text = '', children: FakeNode[] = []): FakeNode {
  return {
    type: { name },
    attrs,
    textContent: text,
    children,
    descendants(f) {
      let pos = 0;
      const walk = (list: FakeNode[]) => {
        for (const child of list) {
          const here = pos;
          pos += 10;
          if (f(child, here) !== false) walk(child.children ?? []);
        }
      };
      walk(this.children ?? []);
    },
  };
}

describe('the outline [ED2.1]', () => {
  it('lists level 1–3 headings in document order, also inside quotes, and leaves deeper ones out', () => {
    const doc = node('doc', {}, '', [
      node('heading', { level: 1 }, 'Plan'),
      node('paragraph', {}, 'text'),
      node('blockquote', {}, '', [node('heading', { level: 2 }, '  Quoted   heading ')]),
      node('heading', { level: 4 }, 'Too deep'),
      node('heading', { level: 3 }, ''),
    ]);
    expect(outlineHeadings(doc)).toEqual([
      { level: 1, text: 'Plan', pos: 0 },
      { level: 2, text: 'Quoted heading', pos: 30 },
      { level: 3, text: '', pos: 50 },
    ]);
  });

  it('shortens very long headings and compares outlines by content', () => {
    const [long] = outlineHeadings(node('doc', {}, '', [node('heading', { level: 2 }, 'x'.repeat(500))]));
    expect(long?.text).toHaveLength(120);
    expect(long?.text.endsWith('…')).toBe(true);
    const a: OutlineHeading[] = [{ level: 1, text: 'A', pos: 0 }];
    expect(sameOutline(a, [{ level: 1, text: 'A', pos: 0 }])).toBe(true);
    expect(sameOutline(a, [{ level: 2, text: 'A', pos: 0 }])).toBe(false);
    expect(sameOutline(a, [])).toBe(false);
  });

  it('toggles with Ctrl+Shift+O or Cmd+Shift+O only', () => {
    const key = (mods: Partial<KeyboardEvent>) => ({
      key: 'O',
      ctrlKey: false,
      metaKey: false,
      altKey: false,
      shiftKey: true,
      ...mods,
    });
    expect(isOutlineShortcut(key({ ctrlKey: true }))).toBe(true);
    expect(isOutlineShortcut(key({ metaKey: true, key: 'o' }))).toBe(true);
    expect(isOutlineShortcut(key({ ctrlKey: true, shiftKey: false }))).toBe(false);
    expect(isOutlineShortcut(key({ ctrlKey: true, altKey: true }))).toBe(false);
  });
});
