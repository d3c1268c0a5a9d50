/**
 * A search snippet: the API sends segments ({text, match}); matches become <mark> elements.
 * Text is rendered as text nodes only — server strings never reach innerHTML.
 */
import type { SnippetSegment } from '../api-types.ts';

export type Segment = SnippetSegment;

export function Snippet({ segments }: { segments: Segment[] }) {
  return (
    <span class="snippet">
      {segments.map((s, i) => (s.match ? <mark key={i}>{s.text}</mark> : <span key={i}>{s.text}</span>))}
    </span>
  );
}
