/**
 * The outline panel (its own chunk): the document's level 1–3 headings, kept current as anyone
 * edits (re-read when edits pause for a moment, re-rendered only when the headings changed). A
 * click scrolls to the heading and puts the cursor there; on narrow screens the panel is a drawer
 * over the text that closes once a heading is chosen.
 */
import type { Editor } from '@tiptap/core';
import { useEffect, useState } from 'preact/hooks';
import { type OutlineHeading, outlineHeadings, sameOutline } from './outline-headings.ts';
import './outline.css';

export type OutlinePanelProps = {
  editor: Editor;
  /** The media query under which the panel sits beside the text rather than over it. */
  wideQuery: string;
  onClose: () => void;
};

const REREAD_AFTER_MS = 150;

export function OutlinePanel({ editor, wideQuery, onClose }: OutlinePanelProps) {
  const [headings, setHeadings] = useState<OutlineHeading[]>(() => outlineHeadings(editor.state.doc));

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const reread = () => {
      timer = undefined;
      if (editor.isDestroyed) return;
      const next = outlineHeadings(editor.state.doc);
      setHeadings((current) => (sameOutline(current, next) ? current : next));
    };
    const schedule = () => {
      timer ??= setTimeout(reread, REREAD_AFTER_MS);
    };
    editor.on('update', schedule);
    reread();
    return () => {
      clearTimeout(timer);
      editor.off('update', schedule);
    };
  }, [editor]);

  const go = (heading: OutlineHeading) => {
    const dom = editor.view.nodeDOM(heading.pos);
    if (editor.isEditable) {
      editor
        .chain()
        .setTextSelection(heading.pos + 1)
        .focus(undefined, { scrollIntoView: false })
        .run();
    }
    if (dom instanceof HTMLElement) dom.scrollIntoView({ block: 'start' });
    if (!matchMedia(wideQuery).matches) onClose();
  };

  return (
    <nav
      id="ed-outline"
      class="ed-outline"
      aria-label="Outline"
      data-testid="outline"
      onKeyDown={(e) => {
        if (e.key === 'Escape') onClose();
      }}
    >
      <div class="ed-outline__head">
        <h2 class="ed-outline__title">Outline</h2>
        <button type="button" class="ed-tool" aria-label="Close outline" onClick={onClose}>
          ×
        </button>
      </div>
      {headings.length === 0 ? (
        <p class="ed-outline__empty">Headings you add to the document appear here.</p>
      ) : (
        <ol class="ed-outline__list">
          {headings.map((h) => (
            <li key={`${h.pos}`} class={`ed-outline__item ed-outline__item--h${h.level}`}>
              <button type="button" class="ed-outline__link" onClick={() => go(h)}>
                {h.text || 'Untitled heading'}
              </button>
            </li>
          ))}
        </ol>
      )}
    </nav>
  );
}
