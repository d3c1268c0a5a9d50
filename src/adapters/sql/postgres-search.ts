/**
 * The SearchIndex port on PostgreSQL (and PGlite): body vectors in `document_search`, title
 * vectors and trigrams on `documents` (migrations 0009, 0027).
 *
 * Bounded work per query (docs/architecture.md "Search"): candidates are the SEARCH_WINDOW most
 * recently changed body matches and the TITLE_SEARCH_WINDOW most recently changed title matches
 * in the caller's reach; only those are ranked. The reach is resolved first into literal ids
 * (readableReach), then every workspace is its own UNION ALL arm (plus one for shared documents):
 * the planner sees the workspace's real size and the word's real frequency and picks, per arm,
 * the GIN index (a rare word: fetch its few matches, sort) or the newest-first walk of the
 * workspace's B-tree (a common word: stop at the window). So a word that matches half of a million
 * documents costs a window, not the whole set. Documents in the trash are never candidates: their
 * body rows are removed by trigger (0011), and title matches exclude them.
 *
 * Body words are exact (stemmed); the last word is a prefix for titles only: a prefix over the
 * body vectors is a GIN partial match over many lexemes, the search box's type-ahead is the title's.
 *
 * Comments count too [C8]: a third window of documents whose comments match (comment_search,
 * migration 0025), among those whose comments the actor may read (commentsReadableIn, readable-documents.ts); their
 * comments rank like the body at half its weight, and a hit found only there is cut its snippet
 * from the comments (`commentText`).
 */
import { type RawBuilder, sql } from 'kysely';
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
import { commentsReadableIn, loadReach, type Reach, type ResolveReach } from '../../app/readable-documents.ts';

/**
 * The tsquery text of a parsed query (`a & b:*`, phrases as `(c <-> d)`); `prefix` false: every
 * word exact (the body's query).
 */
export function toTsquery(p: ParsedQuery, prefix = true): string {
  const plain = p.words.map((w, i) => (prefix && p.prefixLast && i === p.words.length - 1 ? `${w}:*` : w));
  const phrases = p.phrases.map((ph) => `(${ph.join(' <-> ')})`);
  return [...plain, ...phrases].join(' & ');
}

/** Lexemes of a tsquery's text form: `'migrat':* & 'bill':*` → ['migrat', 'bill']. */
export function lexemesOf(tsquery: string): string[] {
  return [...tsquery.matchAll(/'((?:[^']|'')+)'/g)].map((m) => (m[1] ?? '').replaceAll("''", "'").toLowerCase());
}

/** Body matches ranked per query: the recency window's size. */
export const SEARCH_WINDOW = 100;
/** Newest documents holding all of a phrase's words that are checked for the phrase, per arm. */
export const PHRASE_WINDOW = 300;
/** Title matches ranked per query, besides the body's window. */
export const TITLE_SEARCH_WINDOW = 50;
/**
 * Cover-density rank of the title counts fully and the body's at 0.4 (PostgreSQL's weights
 * for A and B), summed without concatenating the vectors (which would copy every body).
 */
const TITLE_WEIGHTS = sql.lit('{1,1,1,1}');
const BODY_WEIGHTS = sql.lit('{0.4,0.4,0.4,0.4}');
const COMMENT_WEIGHTS = sql.lit('{0.2,0.2,0.2,0.2}');
/** Title candidates the quick switcher orders; the most recently changed win. */
export const TITLE_WINDOW = 50;
/** Typo-tolerant candidates per arm, ordered by similarity (a common trigram set is cut here). */
export const FUZZY_PROBE = 100;
/**
 * Workspaces that get an arm of their own; a reader of more shares one arm for the rest, whose
 * window is cut after fetching every match there (the planner cannot walk several in order).
 */
export const MAX_WORKSPACE_ARMS = 20;
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

/** A window per way in, merged: `arm(condition)` is one arm's statement for a workspace condition. */
function perArm(reach: Reach, arm: (where: RawBuilder<unknown>) => RawBuilder<unknown>, col: string) {
  const ref = sql.ref(col);
  const hidden = reach.hidden.length ? sql`and ${ref} <> all(${reach.hidden}::uuid[])` : sql``;
  const ws = [...reach.full.map((w) => ({ w, general: false })), ...reach.general.map((w) => ({ w, general: true }))];
  const own = ws.slice(0, MAX_WORKSPACE_ARMS);
  const rest = ws.slice(MAX_WORKSPACE_ARMS);
  const arms = own.map((x) => arm(sql`= ${x.w}::uuid ${x.general ? hidden : sql``}`));
  if (rest.length) arms.push(arm(sql`= any(${rest.map((x) => x.w)}::uuid[]) ${hidden}`));
  return arms;
}

export class PostgresSearchIndex implements SearchIndex {
  private readonly db: Sql;
  private readonly reach: ResolveReach;
  /** `reach`: who may read what (the wired server passes its ReachCache; by default one statement per query). */
  constructor(db: Sql, reach?: ResolveReach) {
    this.db = db;
    this.reach = reach ?? ((actor, workspaceId) => loadReach(db, actor, workspaceId));
  }

  async documents(q: DocumentQuery): Promise<{ hits: RankedDocument[]; windowFull: boolean }> {
    const reach = await this.reach(q.actor, q.workspaceId);
    // Exact words against the body (and comments), the last word a prefix against the title.
    const tsq = sql`to_tsquery('english', ${toTsquery(q.query, false)})`;
    const titleTsq = sql`to_tsquery('english', ${toTsquery(q.query)})`;
    const scope = (col: string) => (q.workspaceId ? sql`and ${sql.ref(col)} = ${q.workspaceId}::uuid` : sql``);
    const direct = sql`${reach.direct}::uuid[]`;
    const none = sql`(select null::uuid as id, null::timestamptz as at where false)`;
    const union = (arms: RawBuilder<unknown>[]) => (arms.length ? sql.join(arms, sql` union all `) : none);
    // Phrases need word positions, which the planner cannot estimate and only the row holds: each
    // arm first cuts the PHRASE_WINDOW newest documents holding all the words, then checks the
    // phrase on those rows only.
    const phrased = q.query.phrases.length > 0;
    const words = phrased ? sql`to_tsquery('english', ${toTsquery(allWords(q.query), false)})` : tsq;
    // The direct arm's rows are looked up by id behind an `offset 0` fence: otherwise the planner
    // intersects them with the word's (or the workspace's) whole GIN or B-tree entry list — 20 to
    // 70 ms for a common word or a big workspace, to keep a few shared documents.
    const sharedBodies = sql`(select document_id, workspace_id, content_updated_at, body from document_search
      where document_id = any(${direct}) offset 0)`;
    const sharedTitles = sql`(select id, workspace_id, updated_at, title_search, trashed_at from documents
      where id = any(${direct}) offset 0)`;
    const bodyArm = (from: RawBuilder<unknown>, where: RawBuilder<unknown>) =>
      phrased
        ? sql`(select x.id, x.at from (select s.document_id as id, s.content_updated_at as at, s.body
            from ${from} s where ${where} and s.body @@ ${words}
            order by s.content_updated_at desc, s.document_id desc limit ${PHRASE_WINDOW}) x
          where x.body @@ ${tsq} order by x.at desc, x.id desc limit ${SEARCH_WINDOW})`
        : sql`(select s.document_id as id, s.content_updated_at as at from ${from} s
          where ${where} and s.body @@ ${tsq}
          order by s.content_updated_at desc, s.document_id desc limit ${SEARCH_WINDOW})`;
    const titleArm = (from: RawBuilder<unknown>, where: RawBuilder<unknown>) =>
      sql`(select d.id, d.updated_at as at from ${from} d
          where ${where} and d.title_search @@ ${titleTsq} and d.trashed_at is null
          order by d.updated_at desc, d.id desc limit ${TITLE_SEARCH_WINDOW})`;
    const bodyArms = union([
      ...perArm(reach, (w) => bodyArm(sql`document_search`, sql`s.workspace_id ${w}`), 's.document_id'),
      ...(reach.direct.length ? [bodyArm(sharedBodies, sql`true ${scope('s.workspace_id')}`)] : []),
    ]);
    const titleArms = union([
      ...perArm(reach, (w) => titleArm(sql`documents`, sql`d.workspace_id ${w}`), 'd.id'),
      ...(reach.direct.length ? [titleArm(sharedTitles, sql`true ${scope('d.workspace_id')}`)] : []),
    ]);
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
      with body_hits as (
        select distinct u.id, u.at from (${bodyArms}) u order by u.at desc, u.id desc limit ${SEARCH_WINDOW}
      ),
      title_hits as (
        select distinct u.id, u.at from (${titleArms}) u order by u.at desc, u.id desc limit ${TITLE_SEARCH_WINDOW}
      ),
      comment_hits as (
        select cs.document_id as id from comment_search cs
        where cs.body @@ ${tsq}
          and ${commentsReadableIn(q.actor, reach, { workspace: 'cs.workspace_id', id: 'cs.document_id' }, q.workspaceId)}
          ${scope('cs.workspace_id')}
        order by cs.updated_at desc, cs.document_id desc
        limit ${SEARCH_WINDOW}
      ),
      ranked as (
        select d.id, d.workspace_id, d.title,
          ts_rank_cd(${TITLE_WEIGHTS}::real[], d.title_search, ${titleTsq})
            + coalesce(ts_rank_cd(${BODY_WEIGHTS}::real[], s.body, ${tsq}), 0)
            + coalesce(ts_rank_cd(${COMMENT_WEIGHTS}::real[], cs.body, ${tsq}), 0) as rank,
          -- Found by its comments alone: the snippet comes from them.
          cs.document_id is not null and not coalesce(s.body @@ ${tsq}, false) and not d.title_search @@ ${titleTsq}
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
        ${titleTsq}::text as lexemes,
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
    const reach = await this.reach(q.actor, q.workspaceId);
    const scope = q.workspaceId ? sql`and d.workspace_id = ${q.workspaceId}::uuid` : sql``;
    const lower = q.q.toLowerCase();
    // Long enough for trigrams: every word a substring of the title. Shorter: word prefixes.
    const trigram = q.q.length >= MIN_TRIGRAM_CHARS;
    const match = trigram
      ? sql.join(
          lower.split(' ').map((w) => sql`d.title ilike ${`%${likeEscape(w)}%`}`),
          sql` and `,
        )
      : sql`d.title_search @@ to_tsquery('simple', ${`${lower.split(' ').join(':* & ')}:*`})`;
    // One arm per workspace (trigram index for a rare string, newest-first walk of the covering
    // index for a common one) and one for shared documents; the newest TITLE_WINDOW are ordered.
    const arms = (cond: RawBuilder<unknown>, limit: number, order: RawBuilder<unknown>) => [
      ...perArm(
        reach,
        (w) => sql`(select d.id, d.workspace_id, d.title, d.updated_at from documents d
          where d.workspace_id ${w} and ${cond} and d.trashed_at is null ${order} limit ${limit})`,
        'd.id',
      ),
      ...(reach.direct.length
        ? [
            sql`(select d.id, d.workspace_id, d.title, d.updated_at
          from (select id, workspace_id, title, title_search, updated_at, trashed_at from documents
            where id = any(${reach.direct}::uuid[]) offset 0) d
          where ${cond} and d.trashed_at is null ${scope} ${order} limit ${limit})`,
          ]
        : []),
    ];
    const exact = arms(match, TITLE_WINDOW, sql`order by d.updated_at desc, d.id desc`);
    if (exact.length === 0) return [];
    const rows = await sql<{ id: string; workspace_id: string; title: string; updated_at: Date; prefix: boolean }>`
      select c.*, lower(c.title) like ${`${likeEscape(lower)}%`} as prefix from (
        select k.id, k.workspace_id, k.title, k.updated_at from (${sql.join(exact, sql` union `)}) k
        order by k.updated_at desc, k.id desc
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
    if (hits.length >= q.limit || !trigram) return hits;
    // Too few exact matches: add titles that resemble the query (typos), best first.
    const seen = hits.map((h) => h.id);
    const fuzzy = await this.db.transaction().execute(async (tx) => {
      await sql`select set_config('pg_trgm.word_similarity_threshold', ${String(FUZZY_THRESHOLD)}, true)`.execute(tx);
      const exclude = seen.length ? sql`and d.id <> all(${seen}::uuid[])` : sql``;
      const similar = arms(sql`${lower} <% d.title ${exclude}`, FUZZY_PROBE, sql``);
      return sql<{ id: string; workspace_id: string; title: string; updated_at: Date }>`
        select k.id, k.workspace_id, k.title, k.updated_at from (${sql.join(similar, sql` union `)}) k
        order by word_similarity(${lower}, k.title) desc, k.updated_at desc, k.id desc
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
