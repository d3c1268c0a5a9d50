/**
 * The find bar (its own chunk, fetched on the first Ctrl/Cmd+F): the query with "3 of 12", next and
 * previous (Enter, Shift+Enter), a case toggle, and for editors Replace and Replace all; Escape
 * closes it and returns to the text at the match. The matches are prosemirror-search's decorations
 * (find-extension.ts); replace-all is one transaction and one undo step.
 */
import type { Editor } from '@tiptap/core';
import { TextSelection } from '@tiptap/pm/state';
import { yUndoPluginKey } from '@tiptap/y-tiptap';
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  findNext,
  findPrev,
  getMatchHighlights,
  getSearchState,
  replaceAll,
  replaceNext,
  SearchQuery,
  setSearchState,
} from 'prosemirror-search';
import { countMatches, type MatchCount, matchCountText } from './find-matches.ts';
import './find.css';

export type FindBarProps = {
  editor: Editor;
  editable: boolean;
  /** Changes on every Ctrl/Cmd+F: the query box takes focus again. */
  focusSignal: number;
  onClose: () => void;
};

/** Selected text short enough to be a query starts the search, as in every editor. */
const PREFILL_MAX = 100;

function readCount(editor: Editor): MatchCount {
  const state = editor.state;
  const matches = getMatchHighlights(state)
    .find()
    .sort((a, b) => a.from - b.from);
  return countMatches(matches, state.selection);
}

function selectedText(editor: Editor): string {
  const { from, to, empty } = editor.state.selection;
  if (empty || to - from > PREFILL_MAX) return '';
  const text = editor.state.doc.textBetween(from, to, '\n');
  return text.includes('\n') ? '' : text;
}

/** Puts the query in the editor's search state and selects the first match from the cursor on. */
function applyQuery(editor: Editor, query: SearchQuery, select: boolean): void {
  if (editor.isDestroyed) return;
  editor.view.dispatch(setSearchState(editor.state.tr, query));
  if (!select || !query.valid) return;
  const state = editor.state;
  const match = query.findNext(state, state.selection.from) ?? query.findNext(state, 0);
  if (!match) return;
  editor.view.dispatch(state.tr.setSelection(TextSelection.create(state.doc, match.from, match.to)).scrollIntoView());
}

export function FindBar({ editor, editable, focusSignal, onClose }: FindBarProps) {
  const [search, setSearch] = useState(() => selectedText(editor));
  const [replace, setReplace] = useState('');
  const [caseSensitive, setCaseSensitive] = useState(false);
  const [count, setCount] = useState<MatchCount>({ total: 0, current: 0 });
  const [note, setNote] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const queryOf = (s: string, c: boolean, r: string) =>
    new SearchQuery({ search: s, caseSensitive: c, replace: r, literal: true });

  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, [focusSignal]);

  // The count follows every change (anyone's typing, moving between matches), once a frame.
  useEffect(() => {
    let frame = 0;
    const refresh = () => {
      frame = 0;
      setCount(readCount(editor));
    };
    const schedule = () => {
      frame ||= requestAnimationFrame(refresh);
    };
    editor.on('transaction', schedule);
    return () => {
      cancelAnimationFrame(frame);
      editor.off('transaction', schedule);
      // Closing (or leaving the page) takes the highlights away.
      if (!editor.isDestroyed && getSearchState(editor.state)?.query.search) {
        applyQuery(editor, queryOf('', false, ''), false);
      }
    };
  }, [editor]);

  const update = (next: { search?: string; caseSensitive?: boolean; replace?: string }) => {
    const s = next.search ?? search;
    const c = next.caseSensitive ?? caseSensitive;
    const r = next.replace ?? replace;
    setSearch(s);
    setCaseSensitive(c);
    setReplace(r);
    setNote('');
    // Only a new query or case moves the selection; typing the replacement does not.
    applyQuery(editor, queryOf(s, c, r), next.search !== undefined || next.caseSensitive !== undefined);
  };

  // The first query (a prefilled selection) is applied once the bar is up.
  useEffect(() => {
    if (search) applyQuery(editor, queryOf(search, caseSensitive, replace), true);
  }, []);

  const run = (command: typeof findNext) => command(editor.state, editor.view.dispatch);

  const replaceEvery = () => {
    if (!editable) return;
    const before = readCount(editor).total;
    // One undo step: nothing typed just before (or after) is merged into it.
    const undo = yUndoPluginKey.getState(editor.state)?.undoManager;
    undo?.stopCapturing();
    run(replaceAll);
    undo?.stopCapturing();
    setNote(before === 1 ? 'Replaced 1 match' : `Replaced ${before} matches`);
  };

  const close = () => {
    onClose();
    editor.commands.focus();
  };

  const status = note || matchCountText(search, count);

  return (
    // Escape anywhere in the bar closes it.
    <search
      class="ed-findbar"
      aria-label="Find and replace"
      data-testid="find-bar"
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        e.preventDefault();
        close();
      }}
    >
      <div class="ed-findbar__row">
        <input
          ref={input}
          class="ed-findbar__input"
          type="text"
          aria-label="Find in document"
          placeholder="Find"
          autoComplete="off"
          spellcheck={false}
          value={search}
          onInput={(e) => update({ search: e.currentTarget.value })}
          onKeyDown={(e) => {
            if (e.key !== 'Enter') return;
            e.preventDefault();
            run(e.shiftKey ? findPrev : findNext);
          }}
        />
        <output class="ed-findbar__count" aria-live="polite" data-testid="find-count">
          {status}
        </output>
        <button
          type="button"
          class="ed-tool ed-findbar__case"
          aria-label="Match case"
          aria-pressed={caseSensitive}
          title="Match case"
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => update({ caseSensitive: !caseSensitive })}
        >
          Aa
        </button>
        <button
          type="button"
          class="ed-tool"
          aria-label="Previous match"
          title="Previous match (Shift+Enter)"
          disabled={count.total === 0}
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => run(findPrev)}
        >
          ↑
        </button>
        <button
          type="button"
          class="ed-tool"
          aria-label="Next match"
          title="Next match (Enter)"
          disabled={count.total === 0}
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => run(findNext)}
        >
          ↓
        </button>
        <button type="button" class="ed-tool" aria-label="Close find" title="Close (Esc)" onClick={close}>
          ×
        </button>
      </div>
      {editable && (
        <div class="ed-findbar__row">
          <input
            class="ed-findbar__input"
            type="text"
            aria-label="Replace with"
            placeholder="Replace with"
            autoComplete="off"
            spellcheck={false}
            value={replace}
            onInput={(e) => update({ replace: e.currentTarget.value })}
            onKeyDown={(e) => {
              if (e.key !== 'Enter') return;
              e.preventDefault();
              run(replaceNext);
            }}
          />
          <button
            type="button"
            class="ed-btn"
            disabled={count.total === 0}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => run(replaceNext)}
          >
            Replace
          </button>
          <button
            type="button"
            class="ed-btn"
            disabled={count.total === 0}
            onMouseDown={(e) => e.preventDefault()}
            onClick={replaceEvery}
          >
            Replace all
          </button>
        </div>
      )}
    </search>
  );
}
