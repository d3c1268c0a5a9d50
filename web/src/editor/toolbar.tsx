/**
 * Formatting toolbar. It follows the editor through its 'transaction' event, at most once a frame,
 * and re-renders only when a button's state actually changed (typing does not re-render it).
 */
import type { Editor } from '@tiptap/core';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ImageButton, ImagePanel } from './images/image-tools.tsx';
import { LinkBubble } from './link-bubble.tsx';
import { normalizeLinkUrl } from './link-url.ts';
import {
  BLOCK_ITEMS,
  FORMAT_ITEMS,
  HISTORY_ITEMS,
  shortcutText,
  TABLE_ITEMS,
  type ToolbarItem,
} from './toolbar-items.ts';
import { WordCount } from './word-count-label.tsx';

type ButtonState = { active: boolean; enabled: boolean };
type ToolbarState = { items: Record<string, ButtonState>; link: boolean; href: string; table: boolean };

const ALL_ITEMS = [...FORMAT_ITEMS, ...BLOCK_ITEMS, ...TABLE_ITEMS, ...HISTORY_ITEMS];
const APPLE = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

function readState(editor: Editor): ToolbarState {
  const items: Record<string, ButtonState> = {};
  const editable = editor.isEditable;
  for (const item of ALL_ITEMS) {
    items[item.id] = {
      active: item.isActive?.(editor) ?? false,
      enabled: editable && (item.can?.(editor) ?? true),
    };
  }
  const link = editor.isActive('link');
  const href = link ? String(editor.getAttributes('link').href ?? '') : '';
  return { items, link, href, table: editor.isActive('table') };
}

const stateKey = (s: ToolbarState) =>
  `${Object.entries(s.items)
    .map(([id, b]) => `${id}${Number(b.active)}${Number(b.enabled)}`)
    .join()}|${s.link}|${s.table}|${s.href}`;

export type ToolbarProps = {
  editor: Editor;
  editable: boolean;
  /** Receives the function that opens the link box (for the Mod-K shortcut). */
  registerLinkOpener: (open: (() => void) | undefined) => void;
};

export function Toolbar({ editor, editable, registerLinkOpener }: ToolbarProps) {
  const [state, setState] = useState(() => readState(editor));
  const [linkOpen, setLinkOpen] = useState(false);
  // What the first render read: the effects below compare with it rather than read again (each
  // read asks every button's isActive/can, ~12 ms on a loaded machine's cold open).
  const mounted = useRef({ state, editable });

  useEffect(() => {
    let frame = 0;
    let lastKey = stateKey(mounted.current.state);
    const refresh = () => {
      frame = 0;
      const next = readState(editor);
      const key = stateKey(next);
      if (key === lastKey) return;
      lastKey = key;
      setState(next);
    };
    const schedule = () => {
      frame ||= requestAnimationFrame(refresh);
    };
    editor.on('transaction', schedule);
    editor.on('focus', schedule);
    schedule(); // whatever changed between the first render and now
    return () => {
      cancelAnimationFrame(frame);
      editor.off('transaction', schedule);
      editor.off('focus', schedule);
    };
  }, [editor]);

  // setEditable emits a transaction-free 'update'; re-read when it flips.
  useEffect(() => {
    if (!editable) setLinkOpen(false);
    if (mounted.current.editable === editable) return; // the first render's read saw this already
    mounted.current.editable = editable;
    setState(readState(editor));
  }, [editor, editable]);

  useEffect(() => {
    registerLinkOpener(() => setLinkOpen(true));
    return () => registerLinkOpener(undefined);
  }, [registerLinkOpener]);

  const button = (item: ToolbarItem) => {
    const s = state.items[item.id] ?? { active: false, enabled: false };
    return (
      <button
        key={item.id}
        type="button"
        class={`ed-tool ed-tool--${item.id}`}
        aria-label={item.label}
        aria-pressed={item.isActive ? s.active : undefined}
        aria-keyshortcuts={item.shortcut?.replace('Mod', APPLE ? 'Meta' : 'Control')}
        title={item.shortcut ? `${item.label} (${shortcutText(item.shortcut, APPLE)})` : item.label}
        disabled={!s.enabled}
        // Keep the selection in the editor: a button that takes focus would lose it.
        onMouseDown={(e) => e.preventDefault()}
        onClick={() => item.run(editor.chain().focus()).run()}
      >
        {item.glyph}
      </button>
    );
  };

  return (
    <div class="ed-toolbar-wrap">
      <div class="ed-toolbar" role="toolbar" aria-label="Formatting" onKeyDown={moveFocusWithArrows}>
        <div class="ed-toolgroup">{FORMAT_ITEMS.map(button)}</div>
        <div class="ed-toolgroup">
          <button
            type="button"
            class="ed-tool ed-tool--link"
            aria-label="Link"
            aria-pressed={state.link}
            aria-keyshortcuts={APPLE ? 'Meta+K' : 'Control+K'}
            aria-expanded={linkOpen}
            title={`Link (${shortcutText('Mod+K', APPLE)})`}
            disabled={!editable}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => setLinkOpen((open) => !open)}
          >
            <LinkIcon />
          </button>
        </div>
        <div class="ed-toolgroup">{BLOCK_ITEMS.map(button)}</div>
        <ImageButton editor={editor} editable={editable} />
        <div class="ed-toolgroup ed-toolgroup--history">{HISTORY_ITEMS.map(button)}</div>
        <WordCount editor={editor} />
        {state.table && editable && <div class="ed-toolgroup ed-toolgroup--table">{TABLE_ITEMS.map(button)}</div>}
      </div>
      <ImagePanel editor={editor} editable={editable} />
      {linkOpen && editable && <LinkForm editor={editor} onDone={() => setLinkOpen(false)} />}
      {!linkOpen && state.link && <LinkBubble editor={editor} href={state.href} onEdit={() => setLinkOpen(true)} />}
    </div>
  );
}

/** The toolbar pattern: arrow keys, Home and End move between the buttons that can be used. */
function moveFocusWithArrows(event: KeyboardEvent): void {
  const keys = ['ArrowLeft', 'ArrowRight', 'Home', 'End'];
  if (!keys.includes(event.key)) return;
  const toolbar = event.currentTarget as HTMLElement;
  const buttons = [...toolbar.querySelectorAll<HTMLButtonElement>('button:not(:disabled)')];
  const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
  if (at < 0 || buttons.length === 0) return;
  event.preventDefault();
  const next =
    event.key === 'Home'
      ? 0
      : event.key === 'End'
        ? buttons.length - 1
        : (at + (event.key === 'ArrowRight' ? 1 : -1) + buttons.length) % buttons.length;
  buttons[next]?.focus();
}

function LinkIcon() {
  return (
    <svg class="ed-icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
      <path
        d="M10 14a4.5 4.5 0 0 0 6.4 0l3-3a4.5 4.5 0 0 0-6.4-6.4l-1 1M14 10a4.5 4.5 0 0 0-6.4 0l-3 3a4.5 4.5 0 0 0 6.4 6.4l1-1"
        fill="none"
        stroke="currentColor"
        stroke-width="2"
        stroke-linecap="round"
      />
    </svg>
  );
}

function LinkForm({ editor, onDone }: { editor: Editor; onDone: () => void }) {
  const current = (editor.getAttributes('link').href as string | undefined) ?? '';
  const [value, setValue] = useState(current);
  const [error, setError] = useState('');
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);

  const close = () => {
    onDone();
    editor.commands.focus();
  };

  const apply = (e: Event) => {
    e.preventDefault();
    const href = normalizeLinkUrl(value);
    if (!href) {
      setError('Enter a web address (https://…) or an email address.');
      return;
    }
    const chain = editor.chain().focus();
    if (editor.state.selection.empty && !editor.isActive('link')) {
      // Nothing selected: insert the address itself as the link text.
      chain.insertContent({ type: 'text', text: value.trim(), marks: [{ type: 'link', attrs: { href } }] }).run();
    } else {
      chain.extendMarkRange('link').setLink({ href }).run();
    }
    onDone();
  };

  const remove = () => {
    editor.chain().focus().extendMarkRange('link').unsetLink().run();
    onDone();
  };

  return (
    <form
      class="ed-linkform"
      onSubmit={apply}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          close();
        }
      }}
    >
      <label class="ed-linkform__label" for="ed-link-url">
        Link address
      </label>
      <input
        id="ed-link-url"
        ref={input}
        class="ed-linkform__input"
        type="text"
        inputMode="url"
        autoComplete="off"
        spellcheck={false}
        placeholder="https://example.com"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'ed-link-error' : undefined}
        value={value}
        onInput={(e) => {
          setValue(e.currentTarget.value);
          setError('');
        }}
      />
      <button type="submit" class="ed-btn ed-btn--primary">
        Apply
      </button>
      {current && (
        <button type="button" class="ed-btn" onClick={remove}>
          Remove link
        </button>
      )}
      <button type="button" class="ed-btn" onClick={close}>
        Cancel
      </button>
      {error && (
        <p id="ed-link-error" class="ed-linkform__error">
          {error}
        </p>
      )}
    </form>
  );
}
