import { describe, expect, it } from 'vitest';
import { BLOCK_ITEMS, FORMAT_ITEMS, HISTORY_ITEMS, shortcutText } from './toolbar-items.ts';

describe('toolbar items', () => {
  const all = [...FORMAT_ITEMS, ...BLOCK_ITEMS, ...HISTORY_ITEMS];

  it('have distinct ids and accessible names (browser tests find buttons by name)', () => {
    expect(new Set(all.map((i) => i.id)).size).toBe(all.length);
    expect(new Set(all.map((i) => i.label)).size).toBe(all.length);
    expect(all.map((i) => i.label)).toEqual(
      expect.arrayContaining(['Bold', 'Italic', 'Code', 'Heading 1', 'Bullet list', 'Numbered list', 'Quote', 'Undo']),
    );
  });

  it('report a pressed state for marks and blocks, not for undo/redo', () => {
    for (const item of [...FORMAT_ITEMS, ...BLOCK_ITEMS]) expect(item.isActive, item.id).toBeTypeOf('function');
    for (const item of HISTORY_ITEMS) expect(item.isActive, item.id).toBeUndefined();
  });
});

describe('shortcutText', () => {
  it('writes shortcuts the way each platform does', () => {
    expect(shortcutText('Mod+B', false)).toBe('Ctrl+B');
    expect(shortcutText('Mod+B', true)).toBe('⌘B');
    expect(shortcutText('Mod+Alt+1', false)).toBe('Ctrl+Alt+1');
    expect(shortcutText('Mod+Alt+1', true)).toBe('⌘⌥1');
    expect(shortcutText('Mod+Shift+Z', true)).toBe('⌘⇧Z');
    expect(shortcutText('Mod+Shift+Z', false)).toBe('Ctrl+Shift+Z');
  });
});
