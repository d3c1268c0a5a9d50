/**
 * A search snippet: the API sends segments ({text, match}); matches become <mark> elements.
 * Text is rendered as text nodes only — server strings never reach innerHTML. A snippet cut from
 * the document's comments says so (docs/spec/comments.md [C8]).
 */
import type { SnippetSegment } from '../api-types.ts';

export type Segment = SnippetSegment;

export function Snippet({ segments, fromComment = false }: { segments: Segment[]; fromComment?: boolean }) {
  return (
    <span class="snippet">
      {fromComment && <span class="snippet-source">In a comment: </span>}
      {segments.map((s, i) => (s.match ? <mark key={i}>{s.text}</mark> : <span key={i}>{s.text}</span>))}
    </span>
  );
}
