/**
 * The SearchIndex port on PostgreSQL (and PGlite): body vectors in `document_search`, title
 * vectors and trigrams on `documents` (migration 0008). The caller's reach (workspaces where
 * they are owner/admin/member, plus their shares) is resolved in the same statement.
 *
 * Bounded work per query (docs/architecture.md "Search"): candidates are the SEARCH_WINDOW most
 * recently changed matches among body matches and among title matches; only those are ranked.
 * A term that matches half of a million documents therefore costs a window, not the whole set.
 * Documents in the trash are never candidates: their body rows are removed by trigger (0011), and
 * title matches exclude them.
 *
 * Comments count too [C8]: a third window of documents whose comments match (comment_search,
 * migration 0025), among those whose comments the actor may read (commentsReadableBy, readable-documents.ts); their
 * comments rank like the body at half its weight, and a hit found only there is cut its snippet
 * from the comments (`commentText`).
 */
import { sql } from 'kysely';
import type {
  DocumentQuery,
  ParsedQuery,
  RankedDocument,
  SearchIndex,
  Sql,
  TitleHit,
  TitleMatchKind,
  TitleQuery,
} from '../../app/ports.ts';
import { commentsReadableBy, readableBy } from '../../app/readable-documents.ts';

/** The tsquery text of a parsed query (`a & b:*`, phrases as `(c <-> d)`). */
export function toTsquery(p: ParsedQuery): string {
  const plain = p.words.map((w, i) => (p.prefixLast && i === p.words.length - 1 ? `${w}:*` : w));
  const phrases = p.phrases.map((ph) => `(${ph.join(' <-> ')})`);
  return [...plain, ...phrases].join(' & ');
}

/** Lexemes of a tsquery's text form: `'migrat':* & 'bill':*` → ['migrat', 'bill']. */
export function lexemesOf(tsquery: string): string[] {
  return [...tsquery.matchAll(/'((?:[^']|'')+)'/g)].map((m) => (m[1] ?? '').replaceAll("''", "'").toLowerCase());
}

/** Body matches ranked per query: the recency window's size. */
export const SEARCH_WINDOW = 200;
/** Documents holding a phrase's words that are checked for the phrase itself. */
export const PHRASE_WINDOW = 2_000;
/** Title matches ranked per query, besides the body's window. */
export const TITLE_SEARCH_WINDOW = 100;
/**
 * Cover-density rank of the title counts fully and the body's at 0.4 (PostgreSQL's weights
 * for A and B), summed without concatenating the vectors (which would copy every body).
 */
const TITLE_WEIGHTS = sql.lit('{1,1,1,1}');
const BODY_WEIGHTS = sql.lit('{0.4,0.4,0.4,0.4}');
const COMMENT_WEIGHTS = sql.lit('{0.2,0.2,0.2,0.2}');
/** Title candidates the quick switcher orders; the most recently changed win. */
export const TITLE_WINDOW = 200;
/** How much of each returned document's text the snippet is cut from. */
const SNIPPET_SOURCE_CHARS = 2_000;
/** Word similarity (0..1) a title needs to count as a typo-tolerant match. */
const FUZZY_THRESHOLD = 0.4;
/** Shorter queries have no trigram to look up: they match title word prefixes only. */
const MIN_TRIGRAM_CHARS = 3;

/** The query with its phrases as plain words: what the index alone can answer. */
const allWords = (p: ParsedQuery): ParsedQuery => ({ ...p, words: [...p.phrases.flat(), ...p.words], phrases: [] });

/** `%`, `_` and `\` match themselves in a LIKE pattern. */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export class PostgresSearchIndex implements SearchIndex {
  private readonly db: Sql;
  constructor(db: Sql) {
    this.db = db;
  }

  async documents(q: DocumentQuery): Promise<{ hits: RankedDocument[]; windowFull: boolean }> {
    const tsq = sql`to_tsquery('english', ${toTsquery(q.query)})`;
    const scope = (col: string) => (q.workspaceId ? sql`and ${sql.ref(col)} = ${q.workspaceId}` : sql``);
    // What the actor may open (general access, ownership, shares [P7]): the same rule as the lists.
    const reach = sql`${readableBy(q.actor, { workspace: 's.workspace_id', id: 's.document_id' }, q.workspaceId)} ${scope('s.workspace_id')}`;
    // Phrases are checked against word positions, which only the row holds: first cut the
    // window of documents holding all the words (index only), then check the phrase in it.
    const bodyHits =
      q.query.phrases.length === 0
        ? sql`body_hits as (
            select s.document_id as id from document_search s
            where s.body @@ ${tsq} and ${reach}
            order by s.content_updated_at desc, s.document_id desc
            limit ${SEARCH_WINDOW})`
        : sql`body_words as (
            select s.document_id, s.content_updated_at from document_search s
            where s.body @@ to_tsquery('english', ${toTsquery(allWords(q.query))}) and ${reach}
            order by s.content_updated_at desc, s.document_id desc
            limit ${PHRASE_WINDOW}),
          body_hits as (
            select w.document_id as id from body_words w join document_search s on s.document_id = w.document_id
            where s.body @@ ${tsq}
            order by w.content_updated_at desc, w.document_id desc
            limit ${SEARCH_WINDOW})`;
    const after = q.after
      ? sql`where r.rank < ${q.after.rankKey}::real or (r.rank = ${q.after.rankKey}::real and r.id > ${q.after.id})`
      : sql``;
    const rows = await sql<{
      id: string;
      workspace_id: string;
      title: string;
      rank: number;
      rank_key: string;
      body: string;
      comment_text: string | null;
      lexemes: string;
      window_full: boolean;
    }>`
      with ${bodyHits},
      title_hits as (
        select d.id from documents d
        where d.title_search @@ ${tsq} ${scope('d.workspace_id')}
          and ${readableBy(q.actor, { workspace: 'd.workspace_id', id: 'd.id' }, q.workspaceId)} and d.trashed_at is null
        order by d.updated_at desc, d.id desc
        limit ${TITLE_SEARCH_WINDOW}
      ),
      comment_hits as (
        select cs.document_id as id from comment_search cs
        where cs.body @@ ${tsq}
          and ${commentsReadableBy(q.actor, { workspace: 'cs.workspace_id', id: 'cs.document_id' }, q.workspaceId)}
          ${scope('cs.workspace_id')}
        order by cs.updated_at desc, cs.document_id desc
        limit ${SEARCH_WINDOW}
      ),
      ranked as (
        select d.id, d.workspace_id, d.title,
          ts_rank_cd(${TITLE_WEIGHTS}::real[], d.title_search, ${tsq})
            + coalesce(ts_rank_cd(${BODY_WEIGHTS}::real[], s.body, ${tsq}), 0)
            + coalesce(ts_rank_cd(${COMMENT_WEIGHTS}::real[], cs.body, ${tsq}), 0) as rank,
          -- Found by its comments alone: the snippet comes from them.
          cs.document_id is not null and not coalesce(s.body @@ ${tsq}, false) and not d.title_search @@ ${tsq}
            as by_comment
        from (select id from body_hits union select id from title_hits union select id from comment_hits) c
        join documents d on d.id = c.id
        left join document_search s on s.document_id = c.id
        left join comment_hits ch on ch.id = c.id
        left join comment_search cs on cs.document_id = ch.id
        where d.trashed_at is null
      ),
      page as (
        select r.* from ranked r ${after}
        order by r.rank desc, r.id
        limit ${q.limit}
      )
      -- Only the returned page's text is read (content_text may be large and TOASTed).
      select page.*, page.rank::text as rank_key, left(d.content_text, ${SNIPPET_SOURCE_CHARS}) as body,
        case when page.by_comment
          then (select left(cs.text, ${SNIPPET_SOURCE_CHARS}) from comment_search cs where cs.document_id = page.id)
        end as comment_text,
        ${tsq}::text as lexemes,
        (select count(*) from body_hits) = ${SEARCH_WINDOW} or (select count(*) from title_hits) = ${TITLE_SEARCH_WINDOW}
          or (select count(*) from comment_hits) = ${SEARCH_WINDOW} as window_full
      from page join documents d on d.id = page.id
      order by page.rank desc, page.id`.execute(this.db);
    const hits = rows.rows.map((r) => ({
      id: r.id,
      workspaceId: r.workspace_id,
      title: r.title,
      rank: Number(r.rank),
      rankKey: r.rank_key,
      text: r.body,
      ...(r.comment_text !== null && { commentText: r.comment_text }),
      lexemes: lexemesOf(r.lexemes),
    }));
    return { hits, windowFull: rows.rows[0]?.window_full ?? false };
  }

  async titles(q: TitleQuery): Promise<TitleHit[]> {
    const scope = q.workspaceId ? sql`and d.workspace_id = ${q.workspaceId}` : sql``;
    const reach = sql`${readableBy(q.actor, { workspace: 'd.workspace_id', id: 'd.id' }, q.workspaceId)} ${scope}`;
    const lower = q.q.toLowerCase();
    // Long enough for trigrams: every word a substring of the title. Shorter: word prefixes.
    const match =
      q.q.length >= MIN_TRIGRAM_CHARS
        ? sql.join(
            lower.split(' ').map((w) => sql`d.title ilike ${`%${likeEscape(w)}%`}`),
            sql` and `,
          )
        : sql`d.title_search @@ to_tsquery('simple', ${`${lower.split(' ').join(':* & ')}:*`})`;
    const rows = await sql<{ id: string; workspace_id: string; title: string; updated_at: Date; prefix: boolean }>`
      select c.*, lower(c.title) like ${`${likeEscape(lower)}%`} as prefix from (
        select d.id, d.workspace_id, d.title, d.updated_at from documents d
        where ${match} and ${reach} and d.trashed_at is null
        order by d.updated_at desc, d.id desc
        limit ${TITLE_WINDOW}
      ) c
      order by prefix desc, c.updated_at desc, c.id desc
      limit ${q.limit}`.execute(this.db);
    const hits = rows.rows.map(
      (r): TitleHit => ({
        id: r.id,
        workspaceId: r.workspace_id,
        title: r.title,
        updatedAt: r.updated_at.toISOString(),
        match: (r.prefix ? 'prefix' : 'substring') satisfies TitleMatchKind,
      }),
    );
    if (hits.length >= q.limit || q.q.length < MIN_TRIGRAM_CHARS) return hits;
    // Too few exact matches: add titles that resemble the query (typos), best first.
    const seen = hits.map((h) => h.id);
    const fuzzy = await this.db.transaction().execute(async (tx) => {
      await sql`select set_config('pg_trgm.word_similarity_threshold', ${String(FUZZY_THRESHOLD)}, true)`.execute(tx);
      const exclude = seen.length ? sql`and d.id <> all(${seen}::uuid[])` : sql``;
      return sql<{ id: string; workspace_id: string; title: string; updated_at: Date }>`
        select d.id, d.workspace_id, d.title, d.updated_at from documents d
        where ${lower} <% d.title and ${reach} and d.trashed_at is null ${exclude}
        order by word_similarity(${lower}, d.title) desc, d.updated_at desc, d.id desc
        limit ${q.limit - hits.length}`.execute(tx);
    });
    return [
      ...hits,
      ...fuzzy.rows.map(
        (r): TitleHit => ({
          id: r.id,
          workspaceId: r.workspace_id,
          title: r.title,
          updatedAt: r.updated_at.toISOString(),
          match: 'fuzzy',
        }),
      ),
    ];
  }
}
