/**
 * Importing a file as a new document from the document list [I1]: an "Import" button with a file
 * picker, and dropping a file anywhere on the list (a dashed outline says it will be imported).
 * The file goes to the server as it is (POST …/documents/import, its name in the query): the
 * server converts it, so the browser loads no converter. Success opens the new document.
 */
import { useRef, useState } from 'preact/hooks';
import { API_BASE, type ApiClient, ApiError } from '../api.ts';
import { navigate } from '../router.ts';

/** What the picker offers; the server decides by extension (docs/spec/import.md). */
const ACCEPT = '.docx,.md,.markdown,.html,.htm,.txt';

async function sendFile(api: ApiClient, workspaceId: string, file: File): Promise<{ id: string }> {
  const url = `${API_BASE}/workspaces/${workspaceId}/documents/import?name=${encodeURIComponent(file.name)}`;
  const post = async () =>
    fetch(url, {
      method: 'POST',
      headers: {
        accept: 'application/json',
        'content-type': 'application/octet-stream',
        authorization: `Bearer ${await api.accessToken()}`,
        // A retry after a dropped connection must not make two documents.
        'idempotency-key': crypto.randomUUID(),
      },
      body: file,
    });
  let res: Response;
  try {
    res = await post();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(0, 'The file could not be sent. Check your connection and try again.');
  }
  const body = await res.json().catch(() => undefined);
  if (!res.ok) {
    const detail = typeof body?.detail === 'string' ? body.detail : undefined;
    const message =
      res.status === 413
        ? 'That file is too large to import.'
        : res.status === 415
          ? 'Only Word (.docx), Markdown (.md), HTML and text (.txt) files can be imported.'
          : (detail ?? `The import failed (${res.status}).`);
    throw new ApiError(res.status, message);
  }
  return body as { id: string };
}

export type FileImport = {
  importing: boolean;
  dragging: boolean;
  /** Opens the file picker. */
  pick: () => void;
  /** The hidden input the picker is. */
  input: preact.JSX.Element;
  /** Drag-and-drop handlers for the element files may be dropped on. */
  zone: {
    onDragOver: (e: DragEvent) => void;
    onDragLeave: (e: DragEvent) => void;
    onDrop: (e: DragEvent) => void;
  };
};

const carriesFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;

/** Import by picker and by drop; `onError` gets a sentence for the person. */
export function useFileImport(api: ApiClient, workspaceId: string, onError: (message: string | null) => void) {
  const [importing, setImporting] = useState(false);
  const [dragging, setDragging] = useState(false);
  const picker = useRef<HTMLInputElement>(null);

  const run = async (file: File | undefined) => {
    if (!file || importing) return;
    setImporting(true);
    onError(null);
    try {
      const doc = await sendFile(api, workspaceId, file);
      navigate(`/d/${doc.id}`);
    } catch (err) {
      onError(err instanceof Error ? err.message : String(err));
      setImporting(false);
    }
  };

  const result: FileImport = {
    importing,
    dragging,
    pick: () => picker.current?.click(),
    input: (
      <input
        ref={picker}
        type="file"
        accept={ACCEPT}
        class="visually-hidden"
        tabIndex={-1}
        aria-hidden="true"
        data-testid="import-file"
        onChange={(e) => {
          const input = e.currentTarget;
          void run(input.files?.[0]);
          input.value = '';
        }}
      />
    ),
    zone: {
      onDragOver: (e) => {
        if (!carriesFiles(e)) return;
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
        setDragging(true);
      },
      onDragLeave: (e) => {
        // Leaving for a child of the zone is not leaving the zone.
        const to = e.relatedTarget as Node | null;
        if (!to || !(e.currentTarget as Node).contains(to)) setDragging(false);
      },
      onDrop: (e) => {
        if (!carriesFiles(e)) return;
        e.preventDefault();
        setDragging(false);
        void run(e.dataTransfer?.files[0]);
      },
    },
  };
  return result;
}

/** The "Import" button beside "New document". */
export function ImportButton({ importer }: { importer: FileImport }) {
  return (
    <>
      <button
        type="button"
        class="button"
        onClick={importer.pick}
        disabled={importer.importing}
        title="Import a Word, Markdown, HTML or text file (or drop it on the list)"
      >
        {importer.importing ? 'Importing…' : 'Import'}
      </button>
      {importer.input}
    </>
  );
}
