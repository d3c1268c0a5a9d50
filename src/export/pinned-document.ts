/** Rebuilds the document as it was when the export was requested: stored state + the log rows copied with it. */
import { projectDocument } from '../content/projection.ts';
import type { ProseMirrorJson } from '../content/prosemirror-json.ts';
import { rebuildDocument } from '../content/stored-document.ts';
import { RenderError } from './ports.ts';

/** Rows Yjs cannot integrate are skipped (the rule of content/stored-document.ts); an unreadable state fails for good. */
export function pinnedContent(state: Uint8Array | null, updates: Uint8Array[]): ProseMirrorJson {
  let doc: ReturnType<typeof rebuildDocument>['doc'] | undefined;
  try {
    doc = rebuildDocument(state, updates).doc;
    return projectDocument(doc).content;
  } catch (err) {
    // Stored bytes that Yjs cannot read will not read better on the next try.
    throw new RenderError('the stored document could not be decoded', { retryable: false, cause: err });
  } finally {
    doc?.destroy();
  }
}
