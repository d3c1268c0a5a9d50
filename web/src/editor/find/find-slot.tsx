/**
 * Where the find bar lives on the editor page: Ctrl/Cmd+F anywhere on the page opens it (instead of
 * the browser's own find, which cannot replace and does not see the editor's matches), and so does
 * the Find button in the sticky bar, which is the way on a phone, with no keyboard shortcut
 * (ED1.5). The bar's code is a chunk of its own, fetched the first time. Before the editor is
 * loaded the browser's find still answers.
 */
import type { Editor } from '@tiptap/core';
import type { ComponentType } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { FindBarProps } from './find-bar.tsx';

let barModule: Promise<ComponentType<FindBarProps>> | undefined;
const loadBar = () => {
  barModule ??= import('./find-bar.tsx').then(
    (m) => m.FindBar,
    (error: unknown) => {
      barModule = undefined; // a later Ctrl+F may try again
      throw error;
    },
  );
  return barModule;
};

/** Ctrl+F (Cmd+F on Apple keyboards), without Alt or Shift. */
export function isFindShortcut(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>) {
  return (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === 'f';
}

export function FindSlot({ editor, editable }: { editor: Editor | null; editable: boolean }) {
  const [Bar, setBar] = useState<ComponentType<FindBarProps> | null>(null);
  const [open, setOpen] = useState(false);
  const [focusSignal, setFocusSignal] = useState(0);

  const [failed, setFailed] = useState(false);

  const openBar = useCallback(() => {
    setOpen(true);
    setFailed(false);
    setFocusSignal((n) => n + 1);
    loadBar().then(
      (component) => setBar(() => component),
      () => setFailed(true), // the browser's own find is the fallback for the shortcut next time
    );
  }, []);

  useEffect(() => {
    if (!editor) return;
    const onKeyDown = (event: KeyboardEvent) => {
      if (!isFindShortcut(event)) return;
      event.preventDefault();
      openBar();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [editor, openBar]);

  if (!editor) return null;
  return (
    <>
      <button
        type="button"
        class="ed-btn ed-find-open"
        aria-label="Find and replace"
        aria-keyshortcuts="Control+F Meta+F"
        aria-expanded={open && Bar !== null}
        title={
          failed
            ? 'Find could not be loaded. Check your connection and try again.'
            : 'Find and replace (Ctrl+F, ⌘F on a Mac)'
        }
        onClick={openBar}
      >
        Find
      </button>
      {open && Bar && (
        <Bar editor={editor} editable={editable} focusSignal={focusSignal} onClose={() => setOpen(false)} />
      )}
    </>
  );
}
