/**
 * Editing behaviour loaded after the document is on screen: an extension keeps an empty "slot"
 * plugin where its ProseMirror plugins would have been, and the plugins, fetched in their own
 * chunk, are put into that slot later, so they keep the precedence they would have had among the
 * other plugins' key and paste handlers. A cold open of a long document is bound by compiling
 * JavaScript on the main thread (docs/benchmarks.md), and behaviour only an editing person uses
 * (table editing, linkify) need not be compiled before the text shows.
 *
 * Adding plugins reconfigures the editor state, and ProseMirror then rebuilds every plugin view:
 * y-tiptap's sync view re-renders the whole document from the Y.Doc. So all of an editor's
 * deferred chunks load together and go in with one reconfiguration, once: at the first idle
 * moment after the editor is built (while an open waits for the server's copy, the document is
 * still empty then; at the latest a second later), or at once on the first key press, paste or
 * drop, or when a command asks for them (`ensure`). Not later: someone who loses the network
 * after opening a document still has tables and links. A failed fetch is forgotten, so the next
 * trigger tries again.
 */
import type { Editor } from '@tiptap/core';
import { Plugin, PluginKey } from '@tiptap/pm/state';

/** The longest the chunks wait for an idle moment once the editor is built. */
const IDLE_TIMEOUT_MS = 1_000;

export type DeferredPlugins<Kit> = {
  /** The placeholder to return from addProseMirrorPlugins where the plugins belong. */
  slot: Plugin;
  /** The loaded kit, if it is here. */
  loaded: () => Kit | undefined;
  /** Loads this editor's deferred chunks (once) and puts their plugins into their slots. */
  ensure: () => Promise<Kit>;
};

type Member = {
  name: string;
  key: PluginKey;
  load: () => Promise<{ plugins: Plugin[] }>;
  kit?: { plugins: Plugin[] };
};
type Group = { members: Member[]; loading?: Promise<void> };

const groups = new WeakMap<Editor, Group>();

const whenIdle = (run: () => void): (() => void) => {
  if (typeof requestIdleCallback === 'function') {
    const handle = requestIdleCallback(run, { timeout: IDLE_TIMEOUT_MS });
    return () => cancelIdleCallback(handle);
  }
  const handle = setTimeout(run, 0);
  return () => clearTimeout(handle);
};

/** Fetches every chunk not yet here, then puts all that arrived into their slots at once. */
function loadGroup(editor: Editor, group: Group): Promise<void> {
  group.loading ??= (async () => {
    const missing = group.members.filter((member) => !member.kit);
    const results = await Promise.allSettled(missing.map((member) => member.load()));
    const arrived: [Member, { plugins: Plugin[] }][] = [];
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') arrived.push([missing[i] as Member, result.value]);
    });
    for (const [member, kit] of arrived) member.kit = kit;
    if (!editor.isDestroyed) fill(editor, arrived);
    // For bench:web's load breakdown and the browser tests: this behaviour is now in place.
    for (const [member] of arrived) performance.mark(`collab-docs:deferred-${member.name}`);
    // Offline or a new deployment: the next trigger tries the missing ones again.
    if (arrived.length < missing.length) group.loading = undefined;
  })();
  return group.loading;
}

/**
 * `load` fetches the chunk and builds the kit for this editor; the kit's `plugins` are put into
 * the slot in order.
 */
export function deferredPlugins<Kit extends { plugins: Plugin[] }>(
  name: string,
  editor: Editor,
  load: () => Promise<Kit>,
): DeferredPlugins<Kit> {
  let group = groups.get(editor);
  if (!group) {
    group = { members: [] };
    groups.set(editor, group);
  }
  const member: Member = { name, key: new PluginKey(`collabDocsDeferred:${name}`), load };
  group.members.push(member);
  const inGroup = group;

  const loaded = () => member.kit as Kit | undefined;
  const ensure = async (): Promise<Kit> => {
    await loadGroup(editor, inGroup);
    const kit = loaded();
    if (!kit) throw new Error(`the ${name} editing chunk could not be loaded`);
    return kit;
  };
  const start = () => {
    if (!member.kit) loadGroup(editor, inGroup).catch(() => undefined);
    return false;
  };

  const slot = new Plugin({
    key: member.key,
    view() {
      // Rebuilt with every plugin view when the kits go in: by then there is nothing to wait for.
      const cancel = member.kit ? undefined : whenIdle(start);
      return { destroy: () => cancel?.() };
    },
    props: {
      handleKeyDown: start,
      handlePaste: start,
      handleDrop: start,
    },
  });
  return { slot, loaded, ensure };
}

/** One reconfiguration: each kit's plugins right after its slot, every other plugin where it is. */
function fill(editor: Editor, arrived: [Member, { plugins: Plugin[] }][]): void {
  const first = arrived.flatMap(([, kit]) => kit.plugins)[0];
  if (!first) return;
  editor.registerPlugin(first, (_plugin, current) =>
    current.flatMap((plugin) => {
      const entry = arrived.find(([member]) => plugin.spec.key === member.key);
      return entry ? [plugin, ...entry[1].plugins] : [plugin];
    }),
  );
}
