/**
 * The outline's toggle on the editor page: the "Outline" button and Ctrl/Cmd+Shift+O open and close
 * the headings panel, whose code is a chunk of its own fetched the first time it opens. Whether it
 * is open is remembered on this device.
 */
import type { Editor } from '@tiptap/core';
import type { ComponentType } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { isOutlineShortcut } from './outline-headings.ts';
import type { OutlinePanelProps } from './outline-panel.tsx';

const OPEN_KEY = 'collab-docs.outline-open';
const APPLE = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
/** Phones and narrow windows show the outline as a drawer over the text: it starts closed there. */
const WIDE = '(min-width: 1200px)';

let panelModule: Promise<ComponentType<OutlinePanelProps>> | undefined;
const loadPanel = () => {
  panelModule ??= import('./outline-panel.tsx').then(
    (m) => m.OutlinePanel,
    (error: unknown) => {
      panelModule = undefined; // a later toggle may try again
      throw error;
    },
  );
  return panelModule;
};

function rememberedOpen(): boolean {
  try {
    return localStorage.getItem(OPEN_KEY) === '1' && matchMedia(WIDE).matches;
  } catch {
    return false; // storage blocked: start closed
  }
}

export function OutlineSlot({ editor }: { editor: Editor | null }) {
  const [Panel, setPanel] = useState<ComponentType<OutlinePanelProps> | null>(null);
  const [open, setOpen] = useState(rememberedOpen);

  useEffect(() => {
    if (!open || Panel) return;
    let cancelled = false;
    loadPanel().then(
      (component) => {
        if (!cancelled) setPanel(() => component);
      },
      () => undefined, // the button stays; the next toggle tries again
    );
    return () => {
      cancelled = true;
    };
  }, [open, Panel]);

  const isOpen = useRef(open);
  isOpen.current = open;
  const toggle = (next: boolean) => {
    setOpen(next);
    remember(next);
  };

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (!isOutlineShortcut(event)) return;
      event.preventDefault();
      setOpen(!isOpen.current);
      remember(!isOpen.current);
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);

  return (
    <>
      <button
        type="button"
        class="ed-btn"
        aria-expanded={open}
        aria-controls="ed-outline"
        aria-keyshortcuts={APPLE ? 'Meta+Shift+O' : 'Control+Shift+O'}
        title={`Outline (${APPLE ? '⌘⇧O' : 'Ctrl+Shift+O'})`}
        data-testid="outline-toggle"
        onClick={() => toggle(!open)}
      >
        Outline
      </button>
      {open && Panel && editor && <Panel editor={editor} wideQuery={WIDE} onClose={() => toggle(false)} />}
    </>
  );
}

function remember(open: boolean): void {
  try {
    localStorage.setItem(OPEN_KEY, open ? '1' : '0');
  } catch {
    // not remembered; it still toggles
  }
}
