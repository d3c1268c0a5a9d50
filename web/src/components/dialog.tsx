/**
 * A modal dialog: `role="dialog"`, labelled, focus moved inside on open, Tab and Shift+Tab kept
 * inside, Escape or a click on the backdrop closes it, and focus returns to what opened it.
 */
import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

type Props = {
  label: string;
  /** Visible heading; defaults to the label. */
  title?: string;
  onClose: () => void;
  children: ComponentChildren;
  /** Extra class on the panel, e.g. a width. */
  class?: string;
};

/** Open dialogs, innermost last: only the top one answers Escape and keeps focus. */
const openDialogs: HTMLElement[] = [];

export function Dialog({ label, title, onClose, children, class: extra }: Props) {
  const panel = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;

  // Layout effect: focus moves before the next key event, so fast typing lands in the dialog.
  useLayoutEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const root = panel.current;
    if (!root) return;
    openDialogs.push(root);
    // Focus the first field (or button) so typing can start at once.
    const first =
      root.querySelector<HTMLElement>('input, select, textarea') ?? root.querySelector<HTMLElement>(FOCUSABLE);
    (first ?? root).focus();
    document.body.classList.add('has-modal');
    // On the document, not the panel: focus can fall to <body> (a clicked button becomes disabled)
    // and Escape and Tab must still work then.
    const onKeyDown = (e: KeyboardEvent) => {
      if (openDialogs[openDialogs.length - 1] !== root) return;
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        close.current();
      } else if (e.key === 'Tab') {
        trapTab(root, e);
      }
    };
    document.addEventListener('keydown', onKeyDown, true);
    return () => {
      document.removeEventListener('keydown', onKeyDown, true);
      openDialogs.splice(openDialogs.indexOf(root), 1);
      if (openDialogs.length === 0) document.body.classList.remove('has-modal');
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a backdrop click is a mouse shortcut; keyboards have Escape and "Close".
    <div
      class="backdrop"
      onMouseDown={(e) => {
        if (e.target === e.currentTarget) close.current();
      }}
    >
      <div ref={panel} class={`dialog ${extra ?? ''}`} role="dialog" aria-modal="true" aria-label={label} tabIndex={-1}>
        <div class="dialog-head">
          <h2>{title ?? label}</h2>
          <button type="button" class="icon-button" aria-label="Close" onClick={() => close.current()}>
            ×
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}

/** Keeps Tab and Shift+Tab cycling through the dialog's controls. */
function trapTab(root: HTMLElement, e: KeyboardEvent): void {
  const items = [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null);
  if (items.length === 0) {
    e.preventDefault();
    root.focus();
    return;
  }
  const first = items[0] as HTMLElement;
  const last = items[items.length - 1] as HTMLElement;
  const active = document.activeElement;
  if (!root.contains(active) || active === root) {
    e.preventDefault();
    (e.shiftKey ? last : first).focus();
  } else if (e.shiftKey && active === first) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && active === last) {
    e.preventDefault();
    first.focus();
  }
}
