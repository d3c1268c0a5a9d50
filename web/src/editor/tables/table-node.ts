/**
 * The table nodes as the schema needs them before the first render (y-tiptap binds the shared
 * document to the schema at once), without prosemirror-tables: `@tiptap/extension-table`'s table
 * imports it whole (~90 KB with the extension) for cell selection, column resizing and the table
 * commands, which only someone editing a table uses. Rows, cells and header cells are TipTap's
 * own (their subpath modules import only @tiptap/core); the table node is TipTap's table minus
 * that import: same name, content, attributes, parse rules and HTML (so stored documents,
 * exports, paste and search are unchanged), drawn by the same node view (a copy: the view lives
 * in the module that imports prosemirror-tables). Its commands and keys are TipTap's, from
 * table-editing.ts, loaded after the first render (deferred-plugins.ts); one asked for earlier
 * waits for that chunk. TipTap's extension is MIT licensed.
 */
import {
  type Command,
  type CommandProps,
  type Commands,
  callOrReturn,
  getExtensionField,
  mergeAttributes,
  Node,
  type RawCommands,
} from '@tiptap/core';
// Types only: the tableRole field and the table commands' signatures.
import type {} from '@tiptap/extension-table';
import { TableCell } from '@tiptap/extension-table/cell';
import { TableHeader } from '@tiptap/extension-table/header';
import { TableRow } from '@tiptap/extension-table/row';
import type { Node as ProseMirrorNode } from '@tiptap/pm/model';
import type { EditorState } from '@tiptap/pm/state';
import type { NodeView, ViewMutationRecord } from '@tiptap/pm/view';
import { type DeferredPlugins, deferredPlugins } from '../deferred-plugins.ts';
import type { TableEditingKit } from './table-editing.ts';

export type TableNodeOptions = {
  /** Column widths can be dragged (prosemirror-tables' columnResizing, once loaded). */
  resizable: boolean;
  handleWidth: number;
  cellMinWidth: number;
  lastColumnResizable: boolean;
  /** A click on the table's edge selects the table node. */
  allowTableNodeSelection: boolean;
};

/** Every command TipTap's table extension adds, in its order. */
const TABLE_COMMANDS = [
  'insertTable',
  'addColumnBefore',
  'addColumnAfter',
  'deleteColumn',
  'addRowBefore',
  'addRowAfter',
  'deleteRow',
  'deleteTable',
  'mergeCells',
  'splitCell',
  'toggleHeaderColumn',
  'toggleHeaderRow',
  'toggleHeaderCell',
  'mergeOrSplit',
  'setCellAttribute',
  'goToNextCell',
  'goToPreviousCell',
  'fixTables',
  'setCellSelection',
] as const satisfies readonly (keyof Commands['table'])[];

/** TipTap's table keys. Backspace/Delete only act on a cell selection, which needs the loaded kit. */
const TABLE_KEYS = ['Tab', 'Shift-Tab', 'Backspace', 'Mod-Backspace', 'Delete', 'Mod-Delete'] as const;
const KEYS_WORTH_WAITING_FOR = new Set<string>(['Tab', 'Shift-Tab']);

type AnyCommand = (...args: unknown[]) => Command;

function selectionInTable(state: EditorState): boolean {
  const { $from } = state.selection;
  for (let depth = $from.depth; depth > 0; depth -= 1) {
    if ($from.node(depth).type.spec.tableRole === 'table') return true;
  }
  return false;
}

// --- TipTap's table view and column group (src/table/TableView.ts, utilities/createColGroup.ts) ---

function colStyle(minWidth: number, width: number | undefined): [string, string] {
  return width ? ['width', `${Math.max(width, minWidth)}px`] : ['min-width', `${minWidth}px`];
}

/** The `<col>` widths from the first row's cells, and the table's width when all are fixed. */
function updateColumns(node: ProseMirrorNode, colgroup: HTMLElement, table: HTMLElement, cellMinWidth: number) {
  let totalWidth = 0;
  let fixedWidth = true;
  let nextDOM = colgroup.firstChild as HTMLElement | null;
  const row = node.firstChild;
  if (row !== null) {
    for (let i = 0; i < row.childCount; i += 1) {
      const { colspan, colwidth } = row.child(i).attrs as { colspan: number; colwidth: number[] | null };
      for (let j = 0; j < colspan; j += 1) {
        const width = colwidth?.[j];
        const cssWidth = width ? `${width}px` : '';
        totalWidth += width || cellMinWidth;
        if (!width) fixedWidth = false;
        if (!nextDOM) {
          const col = document.createElement('col');
          col.style.setProperty(...colStyle(cellMinWidth, width));
          colgroup.appendChild(col);
        } else {
          if (nextDOM.style.width !== cssWidth) nextDOM.style.setProperty(...colStyle(cellMinWidth, width));
          nextDOM = nextDOM.nextSibling as HTMLElement | null;
        }
      }
    }
  }
  while (nextDOM) {
    const after = nextDOM.nextSibling as HTMLElement | null;
    nextDOM.remove();
    nextDOM = after;
  }
  // Through the CSSOM: the CSP forbids style attributes.
  table.style.width = fixedWidth ? `${totalWidth}px` : '';
  table.style.minWidth = fixedWidth ? '' : `${totalWidth}px`;
}

/** The table drawn in a scrolling wrapper with a `<colgroup>` that column resizing updates. */
export class TableView implements NodeView {
  node: ProseMirrorNode;
  dom: HTMLElement;
  table: HTMLTableElement;
  colgroup: HTMLElement;
  contentDOM: HTMLElement;
  private readonly cellMinWidth: number;

  constructor(node: ProseMirrorNode, cellMinWidth: number) {
    this.node = node;
    this.cellMinWidth = cellMinWidth;
    this.dom = document.createElement('div');
    this.dom.className = 'tableWrapper';
    this.table = this.dom.appendChild(document.createElement('table'));
    this.colgroup = this.table.appendChild(document.createElement('colgroup'));
    updateColumns(node, this.colgroup, this.table, cellMinWidth);
    this.contentDOM = this.table.appendChild(document.createElement('tbody'));
  }

  update(node: ProseMirrorNode): boolean {
    if (node.type !== this.node.type) return false;
    this.node = node;
    updateColumns(node, this.colgroup, this.table, this.cellMinWidth);
    return true;
  }

  ignoreMutation(mutation: ViewMutationRecord): boolean {
    const inWrapper = this.dom.contains(mutation.target);
    const inContent = this.contentDOM.contains(mutation.target);
    return inWrapper && !inContent && mutation.type !== 'selection';
  }
}

/** The HTML's `<colgroup>` and table width (getHTML, copy, drag): TipTap's createColGroup. */
function colGroup(node: ProseMirrorNode, cellMinWidth: number) {
  let totalWidth = 0;
  let fixedWidth = true;
  const cols: [string, Record<string, string>][] = [];
  const row = node.firstChild;
  if (!row) return undefined;
  for (let i = 0; i < row.childCount; i += 1) {
    const { colspan, colwidth } = row.child(i).attrs as { colspan: number; colwidth: number[] | null };
    for (let j = 0; j < colspan; j += 1) {
      const width = colwidth?.[j];
      totalWidth += width || cellMinWidth;
      if (!width) fixedWidth = false;
      const [property, value] = colStyle(cellMinWidth, width);
      cols.push(['col', { style: `${property}: ${value}` }]);
    }
  }
  return {
    colgroup: ['colgroup', {}, ...cols] as const,
    style: `${fixedWidth ? 'width' : 'min-width'}: ${totalWidth}px`,
  };
}

// --- The node ---

type TableStorage = { deferred: DeferredPlugins<TableEditingKit> | undefined };

const Table = Node.create<TableNodeOptions, TableStorage>({
  name: 'table',
  addOptions() {
    return {
      resizable: false,
      handleWidth: 5,
      cellMinWidth: 25,
      lastColumnResizable: true,
      allowTableNodeSelection: false,
    };
  },
  addStorage() {
    return { deferred: undefined };
  },
  content: 'tableRow+',
  tableRole: 'table',
  isolating: true,
  group: 'block',
  parseHTML() {
    return [{ tag: 'table' }];
  },
  renderHTML({ node, HTMLAttributes }) {
    const cols = colGroup(node, this.options.cellMinWidth);
    const style =
      (HTMLAttributes.style as string | undefined) ?? cols?.style ?? `min-width: ${this.options.cellMinWidth}px`;
    return ['table', mergeAttributes(HTMLAttributes, { style }), cols?.colgroup ?? ['colgroup'], ['tbody', 0]];
  },
  addNodeView() {
    return ({ node }) => new TableView(node, this.options.cellMinWidth);
  },
  addCommands() {
    const editor = this.editor;
    const storage = this.storage;
    const command =
      (name: (typeof TABLE_COMMANDS)[number]) =>
      (...args: unknown[]) =>
      (props: CommandProps): boolean => {
        const kit = storage.deferred?.loaded();
        if (kit) return (kit.commands[name] as AnyCommand)(...args)(props);
        if (!storage.deferred || (name !== 'insertTable' && !selectionInTable(props.state))) return false;
        // Asked for before the kit is here: it runs on the document as it is once it arrives.
        if (props.dispatch) {
          storage.deferred.ensure().then(
            () => (editor.commands[name] as (...a: unknown[]) => boolean)(...args),
            () => undefined,
          );
        }
        return true;
      };
    return Object.fromEntries(TABLE_COMMANDS.map((name) => [name, command(name)])) as Partial<RawCommands>;
  },
  addKeyboardShortcuts() {
    const storage = this.storage;
    const editor = this.editor;
    return Object.fromEntries(
      TABLE_KEYS.map((key) => [
        key,
        () => {
          const kit = storage.deferred?.loaded();
          if (kit) return kit.shortcuts[key]?.({ editor }) ?? false;
          if (!storage.deferred || !KEYS_WORTH_WAITING_FOR.has(key) || !selectionInTable(editor.state)) return false;
          storage.deferred.ensure().then(
            (loaded) => loaded.shortcuts[key]?.({ editor }),
            () => undefined,
          );
          return true;
        },
      ]),
    );
  },
  addProseMirrorPlugins() {
    const { editor, options } = this;
    this.storage.deferred ??= deferredPlugins('table', editor, () =>
      import('./table-editing.ts').then((module) => module.tableEditingKit(editor, options)),
    );
    return [this.storage.deferred.slot];
  },
  extendNodeSchema(extension) {
    // prosemirror-tables finds the table's node types by this field (TipTap's table sets it too).
    const context = { name: extension.name, options: extension.options, storage: extension.storage };
    return { tableRole: callOrReturn(getExtensionField(extension, 'tableRole', context)) };
  },
});

/** table, tableCell, tableHeader, tableRow: TipTap's TableKit order. */
export function tableNodes(options: Partial<TableNodeOptions> = {}) {
  return [Table.configure(options), TableCell, TableHeader, TableRow];
}
