/**
 * The editor's blocks and marks beyond base-kit.ts': tables (header row, resizable columns,
 * Tab/Shift-Tab between cells), task lists, highlight, and a link that typing at its end does not
 * extend (`inclusive: false`) and that Ctrl/Cmd+click opens. base-kit.ts leaves out TipTap's
 * plain link so this one replaces it; underline, strike and the horizontal rule come with
 * base-kit.ts. The server reads these node and mark names (src/content), so renaming one is a
 * migration of every stored document. The table and link are our own definitions of TipTap's
 * (tables/table-node.ts, link-mark.ts) whose editing plugins load after the first render.
 */
import { type AnyExtension, Extension } from '@tiptap/core';
import Highlight from '@tiptap/extension-highlight';
import { TaskItem, TaskList } from '@tiptap/extension-list';
import { Plugin, PluginKey } from '@tiptap/pm/state';
import { ySyncPluginKey } from '@tiptap/y-tiptap';
import { LinkMark } from './link-mark.ts';
import { isAllowedLinkHref } from './link-url.ts';
import { transformPastedHtml } from './paste-html.ts';
import { looksLikeMarkdown, markdownToHtml } from './paste-markdown.ts';
import { tableNodes } from './tables/table-node.ts';

/** The href of the link mark at a document position, if any. */
function linkHrefAt(view: import('@tiptap/pm/view').EditorView, pos: number): string | undefined {
  const $pos = view.state.doc.resolve(pos);
  const marks = [...$pos.marks(), ...($pos.nodeAfter?.marks ?? [])];
  const href = marks.find((mark) => mark.type.name === 'link')?.attrs.href;
  return typeof href === 'string' ? href : undefined;
}

/** A link opens in a new tab only from Ctrl/Cmd+click: a plain click places the cursor to edit it. */
export function openLinkOnModClick(href: string | undefined, event: MouseEvent, open = window.open): boolean {
  if (!(event.ctrlKey || event.metaKey) || event.button !== 0) return false;
  if (href === undefined || !isAllowedLinkHref(href)) return false;
  open(href, '_blank', 'noopener,noreferrer');
  return true;
}

const SafeLink = LinkMark.extend({
  // Typing right after a link continues plain text, as in every word processor.
  inclusive: () => false,
  addProseMirrorPlugins() {
    const plugins = this.parent?.() ?? [];
    return [
      ...plugins,
      new Plugin({
        key: new PluginKey('collabDocsLinkModClick'),
        props: {
          handleClick: (view, pos, event) => openLinkOnModClick(linkHrefAt(view, pos), event),
        },
      }),
      new Plugin({
        key: new PluginKey('collabDocsNoAutolinkFromSync'),
        // Text from the shared document (the first sync, another person's typing, undo) was
        // autolinked where it was typed. Scanning it again here was ~30 ms of a 10,000-word
        // document's cold open (linkify over the whole text; bench:web's CPU profile).
        filterTransaction: (tr) => {
          if ((tr.getMeta(ySyncPluginKey) as { isChangeOrigin?: boolean } | undefined)?.isChangeOrigin) {
            tr.setMeta('preventAutolink', true);
          }
          return true;
        },
      }),
    ];
  },
});

/**
 * Pasted HTML is rewritten before ProseMirror parses it (paste-html.ts says why); pasted plain
 * text that is Markdown is converted first (paste-markdown.ts), then inserted where the paste was.
 */
const FaithfulPaste = Extension.create({
  name: 'faithfulPaste',
  addProseMirrorPlugins() {
    const editor = this.editor;
    return [
      new Plugin({
        key: new PluginKey('collabDocsFaithfulPaste'),
        props: {
          transformPastedHTML: (html) => transformPastedHtml(html),
          handlePaste: (view, event) => {
            const data = event.clipboardData;
            if (!data || data.types.includes('text/html') || data.files.length > 0) return false;
            const text = data.getData('text/plain');
            if (!looksLikeMarkdown(text) || view.state.selection.$from.parent.type.spec.code) return false;
            const { from, to } = view.state.selection;
            void markdownToHtml(text).then(
              (html) => editor.chain().insertContentAt({ from, to }, html).run(),
              () => editor.chain().insertContentAt({ from, to }, text).run(),
            );
            return true;
          },
        },
      }),
    ];
  },
});

export function blockExtensions(): AnyExtension[] {
  return [
    SafeLink.configure({
      openOnClick: false,
      autolink: true,
      defaultProtocol: 'https',
      isAllowedUri: (url) => isAllowedLinkHref(url),
      HTMLAttributes: { rel: 'noopener noreferrer nofollow', target: '_blank' },
    }),
    ...tableNodes({ resizable: true, allowTableNodeSelection: true }),
    TaskList,
    TaskItem.configure({ nested: true }),
    Highlight.configure({ multicolor: false }),
    FaithfulPaste,
  ];
}
