/**
 * Rebuilds the document as it was when the export was requested — stored state + the log rows
 * copied with it — in a CRDT worker under budget [S11.2], so a hostile document fails its export
 * instead of holding the event loop. Comment threads captured with the request have their anchors
 * resolved in the same rebuild, as `comment` marks on their text [E10].
 */
import { CrdtBudgetExceeded, type CrdtPool } from '../content/crdt-pool.ts';
import type { ProseMirrorJson } from '../content/prosemirror-json.ts';
import { StoredStateError } from '../content/stored-document.ts';
import { type ExportThread, RenderError } from './ports.ts';

const EMPTY: ProseMirrorJson = { type: 'doc', content: [{ type: 'paragraph' }] };

/** Rows Yjs cannot integrate are skipped (the rule of content/stored-document.ts); an unreadable state fails for good. */
export async function pinnedContent(
  crdt: CrdtPool,
  state: Uint8Array | null,
  updates: Uint8Array[],
  threads: ExportThread[] = [],
): Promise<ProseMirrorJson> {
  try {
    const commentAnchors = threads.map((t) => ({ key: t.id, start: t.anchor.start, end: t.anchor.end }));
    const r = await crdt.rebuild(
      { state, updates },
      { project: true, enforceMainBudget: false, ...(commentAnchors.length > 0 && { commentAnchors }) },
    );
    return (r.content as ProseMirrorJson | null) ?? EMPTY;
  } catch (err) {
    // Stored bytes that Yjs cannot read will not read better on the next try; nor will a pile-up.
    if (err instanceof StoredStateError) {
      throw new RenderError('the stored document could not be decoded', { retryable: false, cause: err });
    }
    if (err instanceof CrdtBudgetExceeded) {
      throw new RenderError(
        `the document is too expensive to rebuild (${err.message}); it needs an operator's repair`,
        {
          retryable: false,
          cause: err,
        },
      );
    }
    throw new RenderError(`rebuilding the document failed: ${(err as Error).message}`, { retryable: true, cause: err });
  }
}
