/**
 * The share dialog's "Owner" section (docs/spec/auth.md [P8]): who owns the document, and for
 * those who manage its access, handing it to another member of the workspace — asked first, since
 * the owner's rights go with it (the previous owner keeps editing through an editor share).
 * Candidates are the workspace's members, admins and owners when the caller may list them, else
 * the people the document is shared with (the API refuses guests with a plain 422).
 */
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import type { DocumentInfo } from '../api-types.ts';
import { plainError } from '../form-errors.ts';
import type { Items, Member, Share } from '../model.ts';
import { notify } from '../notify.ts';
import { Dialog } from './dialog.tsx';
import { FormError } from './field.tsx';

type Person = { userId: string; displayName: string };
type Props = { api: ApiClient; documentId: string; shares: Share[] | null; onTransferred: () => void };

export function OwnershipTransfer({ api, documentId, shares, onTransferred }: Props) {
  const [doc, setDoc] = useState<DocumentInfo | null>(null);
  const [members, setMembers] = useState<Person[] | null>(null);
  const [chosen, setChosen] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = async () => {
    const d = await api.request<DocumentInfo>('GET', `/documents/${documentId}`);
    setDoc(d);
    try {
      const r = await api.request<Items<Member>>('GET', `/workspaces/${d.workspaceId}/members`);
      setMembers(r.items.filter((m) => m.role !== 'guest'));
    } catch {
      setMembers(null); // Not allowed to list members: offer the people it is shared with.
    }
  };
  useEffect(() => {
    load().catch((err) => setError(plainError(err)));
  }, [api, documentId]);

  if (!doc) return error ? <p class="form-error">{error}</p> : null;
  const everyone: Person[] = members ?? shares ?? [];
  const ownerName =
    doc.ownerId === api.user?.id
      ? 'You'
      : (everyone.find((p) => p.userId === doc.ownerId)?.displayName ?? (doc.ownerId ? 'Someone else' : 'Nobody'));
  const candidates = everyone.filter((p) => p.userId !== doc.ownerId);
  const target = candidates.find((p) => p.userId === chosen);

  const transfer = async () => {
    if (!target) return;
    setBusy(true);
    setError(null);
    try {
      const d = await api.request<DocumentInfo>('PUT', `/documents/${documentId}/owner`, { userId: target.userId });
      setDoc(d);
      setChosen('');
      setConfirming(false);
      notify(`${target.displayName} now owns this document.`);
      onTransferred();
    } catch (err) {
      setConfirming(false);
      setError(plainError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="ownership" aria-labelledby="ownership-heading">
      <h3 class="subhead" id="ownership-heading">
        Owner
      </h3>
      <p data-testid="document-owner">{ownerName}</p>
      {candidates.length > 0 && (
        <div class="general-access-row">
          <select
            aria-label="New owner"
            data-testid="new-owner"
            value={chosen}
            onChange={(e) => setChosen(e.currentTarget.value)}
          >
            <option value="">Choose a person…</option>
            {candidates.map((p) => (
              <option key={p.userId} value={p.userId}>
                {p.displayName}
              </option>
            ))}
          </select>
          <button type="button" class="button" disabled={!target} onClick={() => setConfirming(true)}>
            Transfer ownership…
          </button>
        </div>
      )}
      <FormError message={error} />
      {confirming && target && (
        <Dialog label="Transfer ownership" onClose={() => setConfirming(false)}>
          <p>
            Make {target.displayName} the owner of this document? They can then manage who has access and delete it.
            {doc.ownerId === api.user?.id && ' You keep editing it.'}
          </p>
          <div class="dialog-actions">
            <button type="button" class="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
            <button type="button" class="button primary" disabled={busy} onClick={transfer}>
              Transfer ownership
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}
