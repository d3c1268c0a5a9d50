/**
 * Table editing, loaded after the first render (table-node.ts says why): prosemirror-tables'
 * cell selection and column resizing plugins, and TipTap's own table commands and keys (Tab to
 * the next cell or a new row, Backspace on a whole-table selection), taken from
 * `@tiptap/extension-table` itself so they behave exactly as TipTap's table does.
 */
import { type Editor, getExtensionField, type KeyboardShortcutCommand, type RawCommands } from '@tiptap/core';
import { Table } from '@tiptap/extension-table/table';
import type { Plugin } from '@tiptap/pm/state';
import { columnResizing, tableEditing } from '@tiptap/pm/tables';
import { type TableNodeOptions, TableView } from './table-node.ts';

export type TableEditingKit = {
  commands: Partial<RawCommands>;
  shortcuts: Record<string, KeyboardShortcutCommand>;
  plugins: Plugin[];
};

export function tableEditingKit(editor: Editor, options: TableNodeOptions): TableEditingKit {
  const context = {
    name: 'table',
    options,
    storage: Reflect.get(editor.extensionStorage, 'table'),
    editor,
    type: editor.schema.nodes.table,
  };
  const addCommands = getExtensionField<() => Partial<RawCommands>>(Table, 'addCommands', context);
  const addShortcuts = getExtensionField<() => Record<string, KeyboardShortcutCommand>>(
    Table,
    'addKeyboardShortcuts',
    context,
  );
  // As TipTap's table sets them up; column resizing only acts while the editor is editable.
  const plugins = [
    ...(options.resizable
      ? [
          columnResizing({
            handleWidth: options.handleWidth,
            cellMinWidth: options.cellMinWidth,
            defaultCellMinWidth: options.cellMinWidth,
            View: TableView,
            lastColumnResizable: options.lastColumnResizable,
          }),
        ]
      : []),
    tableEditing({ allowTableNodeSelection: options.allowTableNodeSelection }),
  ];
  return { commands: addCommands(), shortcuts: addShortcuts(), plugins };
}
