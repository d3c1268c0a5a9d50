/**
 * Where the find bar lives on the editor page: Ctrl/Cmd+F anywhere on the page opens it (instead of
 * the browser's own find, which cannot replace and does not see the editor's matches) and fetches
 * its code, a chunk of its own, the first time. Before the editor is loaded the browser's find
 * still answers.
 */
import type { Editor } from '@tiptap/core';
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
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

  useEffect(() => {
    if (!editor) return;
    let cancelled = false;
    const onKeyDown = (event: KeyboardEvent) => {
      if (!isFindShortcut(event)) return;
      event.preventDefault();
      setOpen(true);
      setFocusSignal((n) => n + 1);
      loadBar().then(
        (component) => {
          if (!cancelled) setBar(() => component);
        },
        () => undefined, // the browser's own find is the fallback next time
      );
    };
    window.addEventListener('keydown', onKeyDown);
    return () => {
      cancelled = true;
      window.removeEventListener('keydown', onKeyDown);
    };
  }, [editor]);

  if (!open || !Bar || !editor) return null;
  return <Bar editor={editor} editable={editable} focusSignal={focusSignal} onClose={() => setOpen(false)} />;
}
