/** Rebuilds the document as it was when the export was requested: stored state + the log rows copied with it. */
import * as Y from 'yjs';
import type { ProseMirrorJson } from '../content/prosemirror-json.ts';
import { projectDocument } from '../sync/projection.ts';
import { RenderError } from './ports.ts';

export function pinnedContent(state: Uint8Array | null, updates: Uint8Array[]): ProseMirrorJson {
  const doc = new Y.Doc({ gc: true });
  try {
    if (state) Y.applyUpdate(doc, state);
    for (const update of updates) Y.applyUpdate(doc, update);
    return projectDocument(doc).content;
  } catch (err) {
    // Stored bytes that Yjs cannot read will not read better on the next try.
    throw new RenderError('the stored document could not be decoded', { retryable: false, cause: err });
  } finally {
    doc.destroy();
  }
}
