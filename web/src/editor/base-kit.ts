/**
 * The editor's basic nodes and marks, listed one by one instead of through `@tiptap/starter-kit`:
 * the kit imports its history (prosemirror-history, rope-sequence), link and trailing-node
 * extensions even when they are switched off, and every kilobyte parsed before the first render
 * counts against bench:web's 1 s cold open. History is Yjs' undo manager (create-editor.ts), the
 * link is blocks.ts' own, and a trailing node would add a paragraph to the shared document on
 * every client's load, so none of the three is wanted. Same extensions in StarterKit's order, so
 * keymaps and input rules keep their precedence; the server reads these names (src/content).
 */
import type { AnyExtension } from '@tiptap/core';
import { Blockquote } from '@tiptap/extension-blockquote';
import { Bold } from '@tiptap/extension-bold';
import { Code } from '@tiptap/extension-code';
import { CodeBlock } from '@tiptap/extension-code-block';
import { Document } from '@tiptap/extension-document';
import { HardBreak } from '@tiptap/extension-hard-break';
import { Heading } from '@tiptap/extension-heading';
import { HorizontalRule } from '@tiptap/extension-horizontal-rule';
import { Italic } from '@tiptap/extension-italic';
import { BulletList, ListItem, ListKeymap, OrderedList } from '@tiptap/extension-list';
import { Paragraph } from '@tiptap/extension-paragraph';
import { Strike } from '@tiptap/extension-strike';
import { Text } from '@tiptap/extension-text';
import { Underline } from '@tiptap/extension-underline';
// Subpaths: the package's index also brings UndoRedo and with it prosemirror-history.
import { Dropcursor } from '@tiptap/extensions/drop-cursor';
import { Gapcursor } from '@tiptap/extensions/gap-cursor';

/** StarterKit's extensions minus undoRedo, link and trailingNode. */
export function baseExtensions(): AnyExtension[] {
  return [
    Bold,
    Blockquote,
    BulletList,
    Code,
    CodeBlock,
    Document,
    Dropcursor,
    Gapcursor,
    HardBreak,
    Heading,
    HorizontalRule,
    Italic,
    ListItem,
    ListKeymap,
    OrderedList,
    Paragraph,
    Strike,
    Text,
    Underline,
  ];
}
