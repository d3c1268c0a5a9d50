/**
 * `BENCH_SYNC_COMMENT_THREADS`: open comment threads on the oneDocument workload's document
 * before anyone types (issue 14: comments must add no measurable cost to typing). Each is made
 * through the public API at the start of the document (an anchor valid in every document, empty
 * ones included) with a first comment, so the room serves a document that carries them.
 */
import * as Y from 'yjs';
import { encodeAnchorPosition } from '../../src/content/comment-anchors.ts';
import { mapLimit } from './limit.ts';

const CONCURRENCY = 4;
const ATTEMPTS = 5;
const RETRY_MS = 200;

export async function openCommentThreads(base: string, documentId: string, count: number, token: string) {
  const start = encodeAnchorPosition(Y.createRelativePositionFromTypeIndex(new Y.Doc().getXmlFragment('default'), 0));
  await mapLimit(
    Array.from({ length: count }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(`${base}/api/v1/documents/${documentId}/comments`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ anchor: { start, end: start }, quote: '', body: `Bench thread ${i + 1}: still open` }),
        });
        if (res.status === 201) return;
        // A cold pool may shed a burst with 503 (as the fixture's own calls do); seeding is not measured.
        if (res.status === 503 && attempt < ATTEMPTS) {
          await res.text();
          await new Promise((r) => setTimeout(r, RETRY_MS * attempt));
          continue;
        }
        throw new Error(`comment thread ${i + 1}: ${res.status} ${await res.text()}`);
      }
    },
  );
}
