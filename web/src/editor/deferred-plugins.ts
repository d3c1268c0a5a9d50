/**
 * Editing behaviour loaded after the document is on screen: an extension keeps an empty "slot"
 * plugin where its ProseMirror plugins would have been, and the plugins, fetched in their own
 * chunk, are put into that slot later, so they keep the precedence they would have had among the
 * other plugins' key and paste handlers. A cold open of a long document is bound by compiling
 * JavaScript on the main thread (docs/benchmarks.md), and behaviour only an editing person uses
 * (table editing, linkify) need not be compiled before the text shows.
 *
 * The chunk is fetched once the editor is first editable, when the browser is idle (a read-only
 * viewer never needs it), or at once on the first key press, paste or drop, or when a command
 * asks for it (`ensure`). A failed fetch (offline) is forgotten, so the next trigger tries again.
 */
import type { Editor } from '@tiptap/core';
import { Plugin, PluginKey } from '@tiptap/pm/state';

/** The longest a slot waits for an idle moment once its editor is editable. */
const IDLE_TIMEOUT_MS = 1_000;

export type DeferredPlugins<Kit> = {
  /** The placeholder to return from addProseMirrorPlugins where the plugins belong. */
  slot: Plugin;
  /** The loaded kit, if it is here. */
  loaded: () => Kit | undefined;
  /** Loads the kit (once) and puts its plugins into the slot. */
  ensure: () => Promise<Kit>;
};

type Idle = (run: () => void) => () => void;

const whenIdle: Idle = (run) => {
  if (typeof requestIdleCallback === 'function') {
    const handle = requestIdleCallback(run, { timeout: IDLE_TIMEOUT_MS });
    return () => cancelIdleCallback(handle);
  }
  const handle = setTimeout(run, 0);
  return () => clearTimeout(handle);
};

/**
 * `load` fetches the chunk and builds the kit for this editor; `plugins` are the kit's
 * ProseMirror plugins, put into the slot in order.
 */
export function deferredPlugins<Kit extends { plugins: Plugin[] }>(
  name: string,
  editor: Editor,
  load: () => Promise<Kit>,
): DeferredPlugins<Kit> {
  const key = new PluginKey(`collabDocsDeferred:${name}`);
  let kit: Kit | undefined;
  let loading: Promise<Kit> | undefined;

  const ensure = (): Promise<Kit> => {
    loading ??= load().then(
      (loadedKit) => {
        if (!editor.isDestroyed) fill(editor, key, loadedKit.plugins);
        kit = loadedKit;
        // For bench:web's load breakdown and the browser tests: this behaviour is now in place.
        performance.mark(`collab-docs:deferred-${name}`);
        return loadedKit;
      },
      (error: unknown) => {
        loading = undefined; // offline or a new deployment: the next trigger tries again
        throw error;
      },
    );
    return loading;
  };
  const start = () => {
    if (kit) return false;
    ensure().catch(() => undefined); // retried by the next trigger; commands that wait report it
    return false;
  };

  const slot = new Plugin({
    key,
    view(view) {
      let cancel: (() => void) | undefined;
      const check = () => {
        if (cancel || kit || !view.editable) return;
        cancel = whenIdle(start);
      };
      check();
      return { update: check, destroy: () => cancel?.() };
    },
    props: {
      handleKeyDown: start,
      handlePaste: start,
      handleDrop: start,
    },
  });
  return { slot, loaded: () => kit, ensure };
}

/** Puts `plugins` right after the slot keyed `key`, keeping every other plugin where it is. */
function fill(editor: Editor, key: PluginKey, plugins: Plugin[]): void {
  const [first] = plugins;
  if (!first) return;
  editor.registerPlugin(first, (_plugin, current) => {
    const at = current.findIndex((plugin) => plugin.spec.key === key);
    return at < 0 ? [...current, ...plugins] : [...current.slice(0, at + 1), ...plugins, ...current.slice(at + 1)];
  });
}
