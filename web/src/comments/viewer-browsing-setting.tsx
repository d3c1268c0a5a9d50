/**
 * The workspace setting on whether viewers see comments and version history
 * (docs/spec/comments.md [C1], docs/spec/history.md [V6]), for owners and admins on the members
 * page. The server decides; a refused change puts the box back and says why.
 */
import { useEffect, useState } from 'preact/hooks';
import type { WorkspaceSettings } from '../../../src/http/schemas.ts';
import type { ApiClient } from '../api.ts';
import { plainError } from '../form-errors.ts';
import { notify } from '../notify.ts';

export function ViewerBrowsingSetting({ api, workspaceId }: { api: ApiClient; workspaceId: string }) {
  const path = `/workspaces/${workspaceId}/settings`;
  const [allowed, setAllowed] = useState<boolean | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api
      .request<WorkspaceSettings>('GET', path)
      .then((s) => setAllowed(s.viewersBrowse))
      .catch((err) => setError(plainError(err)));
  }, [api, path]);

  const change = async (next: boolean) => {
    const before = allowed;
    setAllowed(next);
    setError(null);
    try {
      const s = await api.request<WorkspaceSettings>('PATCH', path, { viewersBrowse: next });
      setAllowed(s.viewersBrowse);
      notify(
        s.viewersBrowse
          ? 'Viewers now see comments and version history.'
          : 'Viewers no longer see comments or version history.',
      );
    } catch (err) {
      setAllowed(before);
      setError(plainError(err));
    }
  };

  return (
    <section class="card" aria-labelledby="viewer-browsing-heading">
      <h2 id="viewer-browsing-heading" class="subhead">
        What viewers see
      </h2>
      {allowed !== null && (
        <label class="settings-toggle">
          <input
            type="checkbox"
            data-testid="viewers-browse"
            checked={allowed}
            onChange={(e) => void change(e.currentTarget.checked)}
          />{' '}
          Viewers can see comments and version history
        </label>
      )}
      <p class="muted small">
        People who can comment or edit always see both. Viewers still read the document either way.
      </p>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
