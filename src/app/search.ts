/** Full-text search over titles and content, ranked, limited to documents the caller may read. */
import { sql } from 'kysely';
import type { Sql } from '../adapters/sql/database.ts';
import { Invalid } from '../domain/errors.ts';

export type Segment = { text: string; match: boolean };
export type SearchHit = { id: string; workspaceId: string; title: string; rank: number; snippet: Segment[] };

const MAX_TERMS = 8;
/**
 * ts_headline re-parses the text it is given, and dominated search cost in bench:api
 * (~7.6 ms of PostgreSQL CPU for 20 hits over 5,000 characters); the opening of a document is
 * where a snippet is most useful anyway.
 */
const HEADLINE_SOURCE_CHARS = 1_000;
// Private-use characters mark matches inside ts_headline output; they never occur in real text.
const START = '\uE000';
const STOP = '\uE001';
const HEADLINE_OPTIONS = `StartSel=${START}, StopSel=${STOP}, MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "`;

/**
 * Builds a prefix tsquery ("word:* & other:*") from letters and digits only, so user input can
 * never inject tsquery syntax.
 */
export function toPrefixQuery(q: string): string {
  const terms = (q.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, MAX_TERMS);
  return terms.map((t) => `${t.toLowerCase()}:*`).join(' & ');
}

export function toSegments(headline: string): Segment[] {
  const out: Segment[] = [];
  for (const part of headline.split(START)) {
    const [matched, rest] = part.includes(STOP) ? part.split(STOP) : [undefined, part];
    if (matched) out.push({ text: matched, match: true });
    if (rest) out.push({ text: rest, match: false });
  }
  return out;
}

export class Search {
  private readonly db: Sql;
  constructor(db: Sql) {
    this.db = db;
  }

  async search(actor: string, input: { q: string; workspaceId?: string; limit: number }): Promise<SearchHit[]> {
    const query = toPrefixQuery(input.q);
    if (!query) throw new Invalid('search needs at least one word', [{ field: '/q', message: 'no searchable words' }]);
    const workspaceFilter = input.workspaceId ? sql`and d.workspace_id = ${input.workspaceId}` : sql``;
    // Rank first over the index, then build headlines only for the page that is returned.
    const rows = await sql<{ id: string; workspace_id: string; title: string; rank: number; headline: string }>`
      with q as (select to_tsquery('english', ${query}) as q),
      hits as (
        select d.id, d.workspace_id, d.title, d.content_text, ts_rank_cd(d.search, q.q) as rank
        from documents d, q
        where d.search @@ q.q ${workspaceFilter}
          and (
            d.workspace_id in (
              select workspace_id from workspace_members
              where user_id = ${actor} and role in ('owner', 'admin', 'member'))
            or exists (select 1 from document_shares s where s.document_id = d.id and s.user_id = ${actor})
          )
        order by rank desc, d.id
        limit ${input.limit}
      )
      select hits.id, hits.workspace_id, hits.title, hits.rank,
        ts_headline('english', hits.title || ' — ' || left(hits.content_text, ${HEADLINE_SOURCE_CHARS}), q.q, ${HEADLINE_OPTIONS}) as headline
      from hits, q
      order by hits.rank desc, hits.id`.execute(this.db);
    return rows.rows.map((r) => ({
      id: r.id,
      workspaceId: r.workspace_id,
      title: r.title,
      rank: Number(r.rank),
      snippet: toSegments(r.headline),
    }));
  }
}
