/**
 * The quick switcher (Ctrl/Cmd+K): type part of a title, pick a document with the arrow keys
 * and Enter. A combobox over a listbox (ARIA 1.2 pattern): focus stays in the field, the active
 * option is announced through aria-activedescendant. Matches come from GET /search/titles, which
 * also finds titles with a typo.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import { plainError } from '../form-errors.ts';
import { navigate } from '../router.ts';
import { Dialog } from './dialog.tsx';

type TitleHit = { id: string; workspaceId: string; title: string; match: 'prefix' | 'substring' | 'fuzzy' };

/** Short: each keystroke is one cheap indexed query (p95 well under 20 ms, docs/benchmarks.md). */
const DEBOUNCE_MS = 120;
const LIMIT = 10;
const LISTBOX_ID = 'quick-switcher-options';

export function QuickSwitcher({
  api,
  workspaceNames,
  onClose,
}: {
  api: ApiClient;
  workspaceNames: Map<string, string>;
  onClose: () => void;
}) {
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<TitleHit[]>([]);
  const [active, setActive] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [searched, setSearched] = useState(false);
  const latest = useRef(0);

  useEffect(() => {
    const q = query.trim();
    if (!q) {
      setHits([]);
      setSearched(false);
      return;
    }
    const ticket = ++latest.current;
    const timer = setTimeout(async () => {
      try {
        const params = new URLSearchParams({ q: q.slice(0, 100), limit: String(LIMIT) });
        const res = await api.request<{ items: TitleHit[] }>('GET', `/search/titles?${params}`);
        // A slower answer to an older query must not replace a newer one.
        if (ticket !== latest.current) return;
        setHits(res.items);
        setActive(0);
        setError(null);
      } catch (err) {
        if (ticket !== latest.current) return;
        setHits([]);
        setError((err as { status?: number }).status === 400 ? 'Type a letter or a digit.' : plainError(err));
      }
      setSearched(true);
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [api, query]);

  const open = (hit: TitleHit | undefined) => {
    if (!hit) return;
    onClose();
    navigate(`/d/${hit.id}`);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (hits.length === 0) return;
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActive((a) => (a + step + hits.length) % hits.length);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      open(hits[active]);
    }
  };

  const optionId = (i: number) => `quick-switcher-option-${i}`;
  return (
    <Dialog label="Go to document" onClose={onClose} class="quick-switcher">
      <input
        type="text"
        role="combobox"
        aria-label="Document title"
        aria-expanded={hits.length > 0}
        aria-controls={LISTBOX_ID}
        aria-autocomplete="list"
        aria-activedescendant={hits.length > 0 ? optionId(active) : undefined}
        placeholder="Type a title…"
        autocomplete="off"
        spellcheck={false}
        value={query}
        onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
        onKeyDown={onKeyDown}
      />
      <div id={LISTBOX_ID} role="listbox" aria-label="Matching documents" class="quick-switcher-options">
        {hits.map((h, i) => (
          // biome-ignore lint/a11y/useKeyWithClickEvents: keyboard users choose with the arrows and Enter in the field (combobox pattern).
          <div
            key={h.id}
            id={optionId(i)}
            role="option"
            tabIndex={-1}
            aria-selected={i === active}
            class={i === active ? 'active' : undefined}
            onMouseMove={() => setActive(i)}
            onClick={() => open(h)}
          >
            <span class="quick-switcher-title">{h.title}</span>
            <span class="muted quick-switcher-where">
              {workspaceNames.get(h.workspaceId) ?? 'Shared with you'}
              {h.match === 'fuzzy' ? ' · similar title' : ''}
            </span>
          </div>
        ))}
      </div>
      <p class="muted quick-switcher-status" role="status">
        {error ?? (searched && hits.length === 0 ? 'No document with a title like that.' : '')}
      </p>
    </Dialog>
  );
}
