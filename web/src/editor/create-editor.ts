/**
 * The TipTap editor bound to a Y.Doc: the basic nodes and marks without their own history (Yjs' undo
 * manager only undoes this person's changes), live carets drawn through the CSSOM (the CSP forbids style
 * attributes), links limited to http(s)/mailto, and no injected <style> tag (also the CSP).
 */
import { Editor, Extension } from '@tiptap/core';
import Collaboration from '@tiptap/extension-collaboration';
import CollaborationCaret from '@tiptap/extension-collaboration-caret';
import { Plugin } from '@tiptap/pm/state';
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';
import { CommentHighlights } from '../comments/comment-highlights.ts';
import { baseExtensions } from './base-kit.ts';
import { blockExtensions } from './blocks.ts';
import { placeCaretLabels } from './caret-label.ts';
import { FindAndReplace } from './find/find-extension.ts';
import { imageExtensions } from './images/image-extension.ts';
import type { ImageContext } from './images/image-loader.ts';
import type { PresenceUser } from './presence.ts';
import { UndoSelection } from './undo-selection.ts';
import { isHexColor } from './user-color.ts';

// Load breakdown for the benchmark: TipTap and ProseMirror have been fetched and evaluated.
performance.mark('collab-docs:editor-kit-ready');

/** The XmlFragment the server projects and searches (src/content/projection.ts `tiptapFragmentName`). */
const FRAGMENT = 'default';
const MAX_CARET_NAME_LENGTH = 40;

export type CollabEditorOptions = {
  element: HTMLElement;
  doc: Y.Doc;
  awareness: Awareness;
  user: PresenceUser;
  editable: boolean;
  /** Mod-K: the toolbar opens its link box. */
  onLinkShortcut: () => void;
  /** Where images are uploaded and fetched (absent: images are shown as a note, none can be added). */
  images?: ImageContext;
};

/** Remote carets: the names and colours come from other clients, so only text and checked colours. */
export function renderCaret(user: Record<string, unknown>): HTMLElement {
  const color = isHexColor(user.color) ? user.color : '#6b7280';
  const name = typeof user.name === 'string' ? user.name.trim().slice(0, MAX_CARET_NAME_LENGTH) : '';
  const caret = document.createElement('span');
  caret.className = 'collaboration-carets__caret';
  caret.style.borderColor = color;
  const label = document.createElement('span');
  label.className = 'collaboration-carets__label';
  label.style.backgroundColor = color;
  label.textContent = name || 'Someone';
  caret.append(label);
  return caret;
}

/** Remote selections: ProseMirror applies decoration styles through `style.cssText` (CSSOM). */
function renderSelection(user: Record<string, unknown>): { nodeName: string; class: string; style?: string } {
  const base = { nodeName: 'span', class: 'collaboration-carets__selection' };
  return isHexColor(user.color) ? { ...base, style: `background-color: ${user.color}33` } : base;
}

/**
 * Keeps caret labels inside the editor: re-placed after every view update (carets move with edits
 * and awareness changes; their widgets are reused, so placing them once when drawn is not enough)
 * and when the editor's width changes. Once per frame, before it is painted.
 */
const CaretLabelPlacement = Extension.create({
  name: 'caretLabelPlacement',
  addProseMirrorPlugins() {
    return [
      new Plugin({
        view(view) {
          let frame = 0;
          const schedule = () => {
            if (frame === 0) frame = requestAnimationFrame(place);
          };
          const place = () => {
            frame = 0;
            placeCaretLabels(view.dom);
          };
          const resized = typeof ResizeObserver === 'undefined' ? undefined : new ResizeObserver(schedule);
          resized?.observe(view.dom);
          return {
            update: schedule,
            destroy() {
              cancelAnimationFrame(frame);
              resized?.disconnect();
            },
          };
        },
      }),
    ];
  },
});

const LinkShortcut = Extension.create<{ open: () => void }>({
  name: 'linkShortcut',
  addOptions() {
    return { open: () => undefined };
  },
  addKeyboardShortcuts() {
    return {
      'Mod-k': () => {
        if (!this.editor.isEditable) return false;
        this.options.open();
        return true;
      },
    };
  },
});

export function createCollabEditor(options: CollabEditorOptions): Editor {
  return new Editor({
    element: options.element,
    editable: options.editable,
    injectCSS: false,
    extensions: [
      ...baseExtensions(),
      ...blockExtensions(),
      ...imageExtensions(options.images),
      Collaboration.configure({ document: options.doc, field: FRAGMENT }),
      UndoSelection,
      CollaborationCaret.configure({
        provider: { awareness: options.awareness },
        user: options.user,
        render: renderCaret,
        selectionRender: renderSelection,
      }),
      CaretLabelPlacement,
      LinkShortcut.configure({ open: options.onLinkShortcut }),
      CommentHighlights,
      FindAndReplace,
    ],
    editorProps: {
      attributes: {
        'data-testid': 'editor',
        'aria-label': 'Document body',
        'aria-multiline': 'true',
        role: 'textbox',
        class: 'ed-prose',
        spellcheck: 'true',
      },
    },
  });
}
