/** Anchors for tests that need a valid one without writing text first (fixtures, schema checks). */
import * as Y from 'yjs';
import { type Anchor, encodeAnchorPosition } from '../../src/content/comment-anchors.ts';

/** The start of the editor's fragment: valid in every document, empty ones included. */
export function documentStartAnchor(): Anchor {
  const position = encodeAnchorPosition(
    Y.createRelativePositionFromTypeIndex(new Y.Doc().getXmlFragment('default'), 0),
  );
  return { start: position, end: position };
}
