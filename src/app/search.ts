/** Full-text search over titles and content, ranked, limited to documents the caller may read. */

import { sql } from 'kysely';
import { Invalid } from '../domain/errors.ts';
import type { Sql } from './ports.ts';
import { documentSnippet, lexemesOf, type Segment } from './snippets.ts';

export type SearchHit = { id: string; workspaceId: string; title: string; rank: number; snippet: Segment[] };

const MAX_TERMS = 8;
/** How much of each returned document's text the snippet is cut from. */
const SNIPPET_SOURCE_CHARS = 2_000;

/**
 * Builds a prefix tsquery ("word:* & other:*") from letters and digits only, so user input can
 * never inject tsquery syntax.
 */
export function toPrefixQuery(q: string): string {
  const terms = (q.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, MAX_TERMS);
  return terms.map((t) => `${t.toLowerCase()}:*`).join(' & ');
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
    // Rank over the index in the database; cut snippets here (see snippets.ts).
    const rows = await sql<{
      id: string;
      workspace_id: string;
      title: string;
      rank: number;
      body: string;
      lexemes: string;
    }>`
      with q as (select to_tsquery('english', ${query}) as q),
      hits as (
        select d.id, d.workspace_id, d.title, ts_rank_cd(d.search, q.q) as rank
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
      -- Only the returned page's text is read (content_text is large and TOASTed).
      select hits.*, left(d.content_text, ${SNIPPET_SOURCE_CHARS}) as body, q.q::text as lexemes
      from hits join documents d on d.id = hits.id, q
      order by hits.rank desc, hits.id`.execute(this.db);
    return rows.rows.map((r) => ({
      id: r.id,
      workspaceId: r.workspace_id,
      title: r.title,
      rank: Number(r.rank),
      snippet: documentSnippet(r.title, r.body, lexemesOf(r.lexemes)),
    }));
  }
}
