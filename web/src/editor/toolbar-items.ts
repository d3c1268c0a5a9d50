/** The formatting toolbar's buttons: what each one does and how it knows it is active. */
import type { ChainedCommands, Editor } from '@tiptap/core';

export type ToolbarItem = {
  id: string;
  /** The button's accessible name (browser tests find buttons by it). */
  label: string;
  /** What the button shows. */
  glyph: string;
  /** Only for shortcuts the editor really binds. */
  shortcut?: string;
  /** Marks and blocks report `aria-pressed`; plain actions (undo) do not. */
  isActive?: (editor: Editor) => boolean;
  run: (chain: ChainedCommands) => ChainedCommands;
  /** Whether the command can run here (undo with nothing to undo cannot). */
  can?: (editor: Editor) => boolean;
};

export const FORMAT_ITEMS: readonly ToolbarItem[] = [
  {
    id: 'bold',
    label: 'Bold',
    glyph: 'B',
    shortcut: 'Mod+B',
    isActive: (e) => e.isActive('bold'),
    run: (c) => c.toggleBold(),
  },
  {
    id: 'italic',
    label: 'Italic',
    glyph: 'I',
    shortcut: 'Mod+I',
    isActive: (e) => e.isActive('italic'),
    run: (c) => c.toggleItalic(),
  },
  {
    id: 'code',
    label: 'Code',
    glyph: '</>',
    shortcut: 'Mod+E',
    isActive: (e) => e.isActive('code'),
    run: (c) => c.toggleCode(),
  },
  {
    id: 'underline',
    label: 'Underline',
    glyph: 'U',
    shortcut: 'Mod+U',
    isActive: (e) => e.isActive('underline'),
    run: (c) => c.toggleUnderline(),
  },
  {
    id: 'strike',
    label: 'Strikethrough',
    glyph: 'S',
    shortcut: 'Mod+Shift+S',
    isActive: (e) => e.isActive('strike'),
    run: (c) => c.toggleStrike(),
  },
  {
    id: 'highlight',
    label: 'Highlight',
    glyph: 'H',
    shortcut: 'Mod+Shift+H',
    isActive: (e) => e.isActive('highlight'),
    run: (c) => c.toggleHighlight(),
  },
];

export const BLOCK_ITEMS: readonly ToolbarItem[] = [
  {
    id: 'h1',
    label: 'Heading 1',
    glyph: 'H1',
    shortcut: 'Mod+Alt+1',
    isActive: (e) => e.isActive('heading', { level: 1 }),
    run: (c) => c.toggleHeading({ level: 1 }),
  },
  {
    id: 'h2',
    label: 'Heading 2',
    glyph: 'H2',
    shortcut: 'Mod+Alt+2',
    isActive: (e) => e.isActive('heading', { level: 2 }),
    run: (c) => c.toggleHeading({ level: 2 }),
  },
  {
    id: 'h3',
    label: 'Heading 3',
    glyph: 'H3',
    shortcut: 'Mod+Alt+3',
    isActive: (e) => e.isActive('heading', { level: 3 }),
    run: (c) => c.toggleHeading({ level: 3 }),
  },
  {
    id: 'bullets',
    label: 'Bullet list',
    glyph: '•',
    shortcut: 'Mod+Shift+8',
    isActive: (e) => e.isActive('bulletList'),
    run: (c) => c.toggleBulletList(),
  },
  {
    id: 'numbers',
    label: 'Numbered list',
    glyph: '1.',
    shortcut: 'Mod+Shift+7',
    isActive: (e) => e.isActive('orderedList'),
    run: (c) => c.toggleOrderedList(),
  },
  {
    id: 'tasks',
    label: 'Checklist',
    glyph: '☑',
    shortcut: 'Mod+Shift+9',
    isActive: (e) => e.isActive('taskList'),
    run: (c) => c.toggleTaskList(),
  },
  {
    id: 'quote',
    label: 'Quote',
    glyph: '❝',
    shortcut: 'Mod+Shift+B',
    isActive: (e) => e.isActive('blockquote'),
    run: (c) => c.toggleBlockquote(),
  },
  {
    id: 'codeblock',
    label: 'Code block',
    glyph: '{ }',
    shortcut: 'Mod+Alt+C',
    isActive: (e) => e.isActive('codeBlock'),
    run: (c) => c.toggleCodeBlock(),
  },
  {
    id: 'rule',
    label: 'Horizontal rule',
    glyph: '―',
    isActive: (e) => e.isActive('horizontalRule'),
    run: (c) => c.setHorizontalRule(),
    can: (e) => e.can().setHorizontalRule(),
  },
  {
    id: 'table',
    label: 'Insert table',
    glyph: '▦',
    isActive: (e) => e.isActive('table'),
    run: (c) => c.insertTable({ rows: 3, cols: 3, withHeaderRow: true }),
    can: (e) => e.can().insertTable({ rows: 3, cols: 3, withHeaderRow: true }),
  },
];

/** Shown while the cursor is in a table: rows, columns, the header row and the table itself. */
export const TABLE_ITEMS: readonly ToolbarItem[] = [
  {
    id: 'row-before',
    label: 'Add row above',
    glyph: '↥+',
    run: (c) => c.addRowBefore(),
    can: (e) => e.can().addRowBefore(),
  },
  {
    id: 'row-after',
    label: 'Add row below',
    glyph: '↧+',
    run: (c) => c.addRowAfter(),
    can: (e) => e.can().addRowAfter(),
  },
  {
    id: 'row-delete',
    label: 'Delete row',
    glyph: '↕−',
    run: (c) => c.deleteRow(),
    can: (e) => e.can().deleteRow(),
  },
  {
    id: 'col-before',
    label: 'Add column left',
    glyph: '↤+',
    run: (c) => c.addColumnBefore(),
    can: (e) => e.can().addColumnBefore(),
  },
  {
    id: 'col-after',
    label: 'Add column right',
    glyph: '↦+',
    run: (c) => c.addColumnAfter(),
    can: (e) => e.can().addColumnAfter(),
  },
  {
    id: 'col-delete',
    label: 'Delete column',
    glyph: '↔−',
    run: (c) => c.deleteColumn(),
    can: (e) => e.can().deleteColumn(),
  },
  {
    id: 'header-row',
    label: 'Header row',
    glyph: 'TH',
    run: (c) => c.toggleHeaderRow(),
    can: (e) => e.can().toggleHeaderRow(),
  },
  {
    id: 'table-delete',
    label: 'Delete table',
    glyph: '▦×',
    run: (c) => c.deleteTable(),
    can: (e) => e.can().deleteTable(),
  },
];

export const HISTORY_ITEMS: readonly ToolbarItem[] = [
  { id: 'undo', label: 'Undo', glyph: '↶', shortcut: 'Mod+Z', run: (c) => c.undo(), can: (e) => e.can().undo() },
  { id: 'redo', label: 'Redo', glyph: '↷', shortcut: 'Mod+Shift+Z', run: (c) => c.redo(), can: (e) => e.can().redo() },
];

const APPLE_KEYS: Record<string, string> = { Mod: '⌘', Alt: '⌥', Shift: '⇧' };

/** Mod+B → ⌘B on Apple keyboards, Ctrl+B elsewhere. */
export function shortcutText(shortcut: string, apple: boolean): string {
  return shortcut
    .split('+')
    .map((key) => (apple ? (APPLE_KEYS[key] ?? key) : key === 'Mod' ? 'Ctrl' : key))
    .join(apple ? '' : '+');
}
