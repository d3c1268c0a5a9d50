/**
 * "History" in the editor header: opens the version-history panel. The panel's code (list,
 * comparison view, restore) is its own chunk, fetched on the first click, so opening a document
 * costs nothing more.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';

type Props = { api: ApiClient; documentId: string; canEdit: boolean };
type PanelModule = typeof import('./history-panel.tsx');

let panelModule: Promise<PanelModule> | undefined;
const loadPanel = (): Promise<PanelModule> => {
  panelModule ??= import('./history-panel.tsx').catch((error: unknown) => {
    panelModule = undefined; // a later click may try again
    throw error;
  });
  return panelModule;
};

export function HistoryButton({ api, documentId, canEdit }: Props): JSX.Element {
  const [panel, setPanel] = useState<PanelModule | null>(null);
  const [open, setOpen] = useState(false);
  const [failed, setFailed] = useState(false);
  const toggle = () => {
    if (open) {
      setOpen(false);
      return;
    }
    setFailed(false);
    loadPanel()
      .then((m) => {
        setPanel(() => m);
        setOpen(true);
      })
      .catch(() => setFailed(true));
  };
  const Panel = panel?.HistoryPanel;
  return (
    <>
      <button
        type="button"
        class="ed-btn"
        aria-expanded={open}
        data-testid="history-button"
        title={failed ? 'The history could not be loaded; try again' : 'Version history'}
        onClick={toggle}
      >
        History
      </button>
      {open && Panel && <Panel api={api} documentId={documentId} canEdit={canEdit} onClose={() => setOpen(false)} />}
    </>
  );
}
