/**
 * A comment text box with @mention autocomplete of people who can open the document (the API's
 * mentionable list): arrows and Enter choose, Escape closes; Ctrl/Cmd+Enter sends. The chosen
 * people travel with the text as structured mentions. Someone who cannot open the document yet
 * (listed only for people allowed to share it) is offered "Share with X and mention"; anyone else
 * mentioning a person without access is told to ask for a share (the server's 400).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { COMMENT_MAX_LENGTH } from '../../../src/domain/comment-limits.ts';
import { ApiError } from '../api.ts';
import type { MentionCandidate, Person } from './comments-api.ts';
import { insertMention, mentionedIn, mentionQueryAt } from './mentions.ts';

export type MentionFieldProps = {
  label: string;
  placeholder: string;
  submitLabel: string;
  initial?: string;
  initialMentions?: Person[];
  search: (q: string) => Promise<MentionCandidate[]>;
  onSubmit: (body: string, mentions: string[]) => Promise<void>;
  onCancel?: () => void;
  autoFocus?: boolean;
};

export function MentionField(props: MentionFieldProps) {
  const [text, setText] = useState(props.initial ?? '');
  const [suggestions, setSuggestions] = useState<MentionCandidate[]>([]);
  /** A person without access being mentioned: the share prompt is open for them. */
  const [sharing, setSharing] = useState<{ person: MentionCandidate; at: { start: number; query: string } } | null>(
    null,
  );
  const [selected, setSelected] = useState(0);
  const [query, setQuery] = useState<{ start: number; query: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const chosen = useRef(new Map((props.initialMentions ?? []).map((p) => [p.userId, p.displayName])));
  const box = useRef<HTMLTextAreaElement>(null);
  const search = useRef(props.search);
  search.current = props.search;

  useEffect(() => {
    if (props.autoFocus) box.current?.focus();
  }, [props.autoFocus]);

  useEffect(() => {
    if (!query) {
      setSuggestions([]);
      return;
    }
    let cancelled = false;
    const timer = setTimeout(() => {
      search.current(query.query).then(
        (people) => {
          if (cancelled) return;
          setSuggestions(people);
          setSelected(0);
        },
        () => undefined,
      );
    }, 120);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [query?.start, query?.query]);

  const choose = (person: MentionCandidate, at = query) => {
    const el = box.current;
    if (!el || !at) return;
    if (person.share) {
      setSharing({ person, at });
      setQuery(null);
      return;
    }
    const r = insertMention(text, at, person.displayName);
    chosen.current.set(person.userId, person.displayName);
    setText(r.text);
    setQuery(null);
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(r.caret, r.caret);
    });
  };

  const shareAndMention = async () => {
    if (!sharing?.person.share) return;
    setBusy(true);
    setError(null);
    try {
      await sharing.person.share();
      choose({ userId: sharing.person.userId, displayName: sharing.person.displayName }, sharing.at);
      setSharing(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : 'The document could not be shared.');
    } finally {
      setBusy(false);
    }
  };

  const submit = async () => {
    const body = text.trim();
    if (!body || busy) return;
    setBusy(true);
    setError(null);
    try {
      await props.onSubmit(body, mentionedIn(body, chosen.current));
      setText('');
      chosen.current.clear();
    } catch (err) {
      const stranger = err instanceof ApiError && err.fields.some((f) => f.field.startsWith('/mentions/'));
      setError(
        stranger
          ? 'Someone you mentioned cannot open this document. Ask its owner or a workspace admin to share it with them, then mention them.'
          : err instanceof Error
            ? err.message
            : 'The comment could not be sent.',
      );
    } finally {
      setBusy(false);
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (suggestions.length > 0 && query) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const step = e.key === 'ArrowDown' ? 1 : -1;
        setSelected((i) => (i + step + suggestions.length) % suggestions.length);
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        const person = suggestions[selected];
        if (person) choose(person);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setQuery(null);
        return;
      }
    }
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void submit();
    } else if (e.key === 'Escape' && props.onCancel) {
      e.preventDefault();
      props.onCancel();
    }
  };

  const listId = useRef(`mentions-${Math.random().toString(36).slice(2)}`).current;
  return (
    <div class="cm-field">
      <textarea
        ref={box}
        class="cm-field__text"
        aria-label={props.label}
        placeholder={props.placeholder}
        maxLength={COMMENT_MAX_LENGTH}
        rows={2}
        value={text}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={suggestions.length > 0 && query ? `${listId}-${selected}` : undefined}
        onInput={(e) => {
          const el = e.currentTarget;
          setText(el.value);
          setQuery(mentionQueryAt(el.value, el.selectionStart ?? el.value.length));
        }}
        onKeyDown={onKeyDown}
      />
      {suggestions.length > 0 && query && (
        <div class="cm-mentions" id={listId} role="listbox" aria-label="People to mention">
          {suggestions.map((p, i) => (
            // biome-ignore lint/a11y/useKeyWithClickEvents: keyboard users choose with the arrows and Enter in the text box (combobox pattern).
            <div
              key={p.userId}
              id={`${listId}-${i}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === selected}
              class={i === selected ? 'cm-mentions__item cm-mentions__item--selected' : 'cm-mentions__item'}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => choose(p)}
            >
              {p.displayName}
              {p.share && <span class="cm-mentions__note"> (no access yet)</span>}
            </div>
          ))}
        </div>
      )}
      {sharing && (
        <div class="cm-share-prompt" role="status">
          <p>{sharing.person.displayName} cannot open this document yet.</p>
          <button type="button" class="ed-btn ed-btn--primary" disabled={busy} onClick={() => void shareAndMention()}>
            Share with {sharing.person.displayName} and mention
          </button>
          <button type="button" class="ed-btn" onClick={() => setSharing(null)}>
            Don't mention
          </button>
        </div>
      )}
      {error && (
        <p class="cm-error" role="alert">
          {error}
        </p>
      )}
      <div class="cm-field__actions">
        {props.onCancel && (
          <button type="button" class="ed-btn" onClick={props.onCancel}>
            Cancel
          </button>
        )}
        <button type="button" class="ed-btn ed-btn--primary" disabled={busy || !text.trim()} onClick={submit}>
          {props.submitLabel}
        </button>
      </div>
    </div>
  );
}
