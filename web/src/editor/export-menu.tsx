/**
 * "Export" in the editor header: asks the API for an export of the document as it is now,
 * follows the job until its file is ready and saves it under the server's file name. Errors
 * (quota, access, a failed render) are shown in plain words; the file is never rendered here.
 * "Include open comments" asks for the open threads in the file (docs/spec/export.md [E10]).
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { type ApiClient, ApiError } from '../api.ts';
import type { ExportJob, ExportRequested } from '../api-types.ts';
import './export-menu.css';
import { EXPORT_CHOICES, type ExportFormat, exportOutcome, pollDelayMs } from './export-job.ts';

type Props = { api: ApiClient; documentId: string };
type Progress = { kind: 'idle' } | { kind: 'working'; label: string } | { kind: 'error'; message: string };

/** Long enough for a queued job behind retries (1 s, 2 s, 4 s backoff), short enough to give up honestly. */
const GIVE_UP_AFTER_MS = 120_000;

function saveFile(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function ExportMenu({ api, documentId }: Props): JSX.Element {
  const [open, setOpen] = useState(false);
  const [progress, setProgress] = useState<Progress>({ kind: 'idle' });
  const [withComments, setWithComments] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const alive = useRef(true);

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  useEffect(() => {
    if (!open) return;
    const first = root.current?.querySelector<HTMLButtonElement>('[role^="menuitem"]');
    first?.focus();
    const onDown = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', onDown);
    return () => document.removeEventListener('pointerdown', onDown);
  }, [open]);

  const run = async (format: ExportFormat, label: string) => {
    setOpen(false);
    setProgress({ kind: 'working', label: `Exporting ${label}…` });
    try {
      const body = { format, ...(withComments && { comments: 'open' as const }) };
      let job: ExportJob = await api.request<ExportRequested>('POST', `/documents/${documentId}/export`, body);
      const started = Date.now();
      for (let polls = 0; ; polls++) {
        const outcome = exportOutcome(job);
        if (outcome.kind === 'ready') {
          const file = await api.download(outcome.url);
          if (alive.current) saveFile(file.blob, file.filename);
          break;
        }
        if (outcome.kind === 'failed') throw new ApiError(422, outcome.message);
        if (Date.now() - started > GIVE_UP_AFTER_MS) {
          throw new ApiError(504, 'The export is taking too long. Please try again later.');
        }
        await new Promise((r) => setTimeout(r, pollDelayMs(polls)));
        if (!alive.current) return;
        job = await api.request<ExportJob>('GET', `/exports/${job.id}`);
      }
      if (alive.current) setProgress({ kind: 'idle' });
    } catch (err) {
      if (!alive.current) return;
      const message = err instanceof ApiError ? err.message : 'The export failed. Please try again.';
      setProgress({ kind: 'error', message });
    }
  };

  const onMenuKey = (e: KeyboardEvent) => {
    const items = [...(root.current?.querySelectorAll<HTMLButtonElement>('[role^="menuitem"]') ?? [])];
    const index = items.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === 'Escape') {
      setOpen(false);
      root.current?.querySelector<HTMLButtonElement>('.ed-export__toggle')?.focus();
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = (index + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
      items[next]?.focus();
    }
  };

  const busy = progress.kind === 'working';
  return (
    <div class="ed-export" ref={root}>
      <button
        type="button"
        class="ed-btn ed-export__toggle"
        aria-haspopup="menu"
        aria-expanded={open}
        disabled={busy}
        onClick={() => setOpen(!open)}
      >
        {busy ? 'Exporting…' : 'Export'}
      </button>
      {open && (
        <div class="ed-export__menu" role="menu" aria-label="Export as" onKeyDown={onMenuKey}>
          {EXPORT_CHOICES.map((c) => (
            <button key={c.format} type="button" role="menuitem" onClick={() => void run(c.format, c.label)}>
              {c.label}
            </button>
          ))}
          <button
            type="button"
            role="menuitemcheckbox"
            aria-checked={withComments}
            class="ed-export__option"
            onClick={() => setWithComments(!withComments)}
          >
            {withComments ? '☑' : '☐'} Include open comments
          </button>
        </div>
      )}
      <span class="ed-export__status" aria-live="polite">
        {progress.kind === 'working' && progress.label}
      </span>
      {progress.kind === 'error' && (
        <div class="ed-export__error" role="alert">
          {progress.message}
          <button type="button" class="ed-btn" aria-label="Dismiss" onClick={() => setProgress({ kind: 'idle' })}>
            ×
          </button>
        </div>
      )}
    </div>
  );
}
