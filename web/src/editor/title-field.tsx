/**
 * The document title: saved with PATCH /documents/:id a moment after typing stops, on Enter and on
 * blur; read-only for people who may not edit. Only the latest value is ever sent.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { TITLE_MAX_LENGTH } from '../../../src/domain/limits.ts';
import { type ApiClient, ApiError } from '../api.ts';

const SAVE_AFTER_IDLE_MS = 800;
/**
 * What the server calls a document with no title (src/app/documents.ts). The field shows it as
 * an empty box with the placeholder, so clicking in and typing replaces it instead of appending
 * to it; an emptied title is saved as this.
 */
const UNTITLED = 'Untitled';

/** The title as the field shows it. */
export function titleForField(title: string): string {
  return title === UNTITLED ? '' : title;
}

/** The title the field's text stands for. */
export function titleFromField(value: string): string {
  return value.trim() || UNTITLED;
}

type Props = {
  api: ApiClient;
  documentId: string;
  title: string;
  canEdit: boolean;
  onSaved: (title: string) => void;
  /** Enter: the title is done, move on to the text. */
  onEnter: () => void;
};

export function TitleField({ api, documentId, title, canEdit, onSaved, onEnter }: Props) {
  const [value, setValue] = useState(() => titleForField(title));
  const [error, setError] = useState('');
  const saved = useRef(title);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const inFlight = useRef<Promise<void> | undefined>(undefined);
  const latest = useRef(titleForField(title));

  useEffect(() => {
    setValue(titleForField(title));
    saved.current = title;
    latest.current = titleForField(title);
  }, [title]);

  // Leaving the page within the debounce still saves the last title typed.
  const saveRef = useRef<() => Promise<void>>(async () => undefined);
  useEffect(
    () => () => {
      clearTimeout(timer.current);
      if (titleFromField(latest.current) !== saved.current) void saveRef.current();
    },
    [],
  );

  const save = async (): Promise<void> => {
    clearTimeout(timer.current);
    // One request at a time; the last one sends whatever is newest.
    while (inFlight.current) await inFlight.current;
    const next = titleFromField(latest.current);
    if (next === saved.current) return;
    const request = (async () => {
      try {
        await api.request('PATCH', `/documents/${encodeURIComponent(documentId)}`, { title: next });
        saved.current = next;
        setError('');
        onSaved(next);
      } catch (err) {
        setError(err instanceof ApiError ? err.message : 'The title could not be saved.');
      }
    })();
    inFlight.current = request;
    await request;
    inFlight.current = undefined;
  };

  saveRef.current = save;

  return (
    <div class="ed-title">
      <input
        class="ed-title__input"
        aria-label="Title"
        placeholder="Untitled"
        maxLength={TITLE_MAX_LENGTH}
        value={value}
        readOnly={!canEdit}
        aria-readonly={!canEdit}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'ed-title-error' : undefined}
        onInput={(e) => {
          const next = e.currentTarget.value;
          setValue(next);
          latest.current = next;
          clearTimeout(timer.current);
          timer.current = setTimeout(() => void save(), SAVE_AFTER_IDLE_MS);
        }}
        onBlur={() => {
          if (canEdit) void save();
        }}
        onKeyDown={(e) => {
          if (e.key !== 'Enter' || !canEdit) return;
          e.preventDefault();
          void save();
          onEnter();
        }}
      />
      {error && (
        <p id="ed-title-error" class="ed-title__error" role="status">
          {error}
        </p>
      )}
    </div>
  );
}
