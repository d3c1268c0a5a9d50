/**
 * Linkify for the `link` mark, loaded on the first key press or paste (link-mark.ts says why):
 * TipTap Link's own plugins — autolink of a URL typed before a space, a pasted URL linking the
 * selected text, and its paste rule linking URLs inside pasted text — built from
 * `@tiptap/extension-link` itself with the editor's link options, so they behave exactly as
 * TipTap's Link does.
 */
import { type Editor, getExtensionField, type PasteRule, pasteRulesPlugin } from '@tiptap/core';
import { Link, type LinkOptions } from '@tiptap/extension-link';
import type { Plugin } from '@tiptap/pm/state';

export type LinkifyKit = { plugins: Plugin[] };

export function linkifyKit(editor: Editor): LinkifyKit {
  const link = editor.extensionManager.extensions.find((extension) => extension.name === 'link');
  const type = editor.schema.marks.link;
  if (!link || !type) return { plugins: [] };
  const context = {
    name: link.name,
    options: link.options as LinkOptions,
    storage: Reflect.get(editor.extensionStorage, 'link'),
    editor,
    type,
  };
  const addPasteRules = getExtensionField<() => PasteRule[]>(Link, 'addPasteRules', context);
  const addPlugins = getExtensionField<() => Plugin[]>(Link, 'addProseMirrorPlugins', context);
  // In TipTap's order for a mark: its paste rules' plugins, then its own plugins.
  return { plugins: [...pasteRulesPlugin({ editor, rules: addPasteRules() }), ...addPlugins()] };
}
