/**
 * Search use cases — full-text over documents (ranked, keyset-paged) and the quick switcher's
 * title matches — behind the SearchIndex port, so a search engine can be added as an adapter
 * without touching callers. The PostgreSQL adapter is src/adapters/sql/postgres-search.ts.
 */
import { Invalid } from '../domain/errors.ts';
import { withSpan } from '../observability/tracing.ts';
import { documentSnippet, type Segment } from './snippets.ts';

export type SearchHit = { id: string; workspaceId: string; title: string; rank: number; snippet: Segment[] };
export type SearchPage = { items: SearchHit[]; nextCursor: string | null };
export type TitleMatchKind = 'prefix' | 'substring' | 'fuzzy';
export type TitleHit = { id: string; workspaceId: string; title: string; updatedAt: string; match: TitleMatchKind };

/** Where the previous page ended: the exact rank (as the index printed it) and the id. */
export type SearchCursor = { rankKey: string; id: string };

/** A parsed query: plain words must all match; phrases match as consecutive words. */
export type ParsedQuery = { words: string[]; phrases: string[][]; prefixLast: boolean };

export type DocumentQuery = {
  actor: string;
  query: ParsedQuery;
  workspaceId?: string;
  limit: number;
  after?: SearchCursor;
};
export type RankedDocument = {
  id: string;
  workspaceId: string;
  title: string;
  rank: number;
  rankKey: string;
  /** The opening of the document's text, to cut the snippet from. */
  text: string;
  /** The query's normalised terms (stems) as the index matched them, for highlighting. */
  lexemes: string[];
};
export type TitleQuery = { actor: string; q: string; workspaceId?: string; limit: number };

/**
 * What any search backend must answer. Every method filters by what `actor` may read
 * (workspace membership as owner/admin/member, or a share) — an engine adapter would index each
 * document's workspace id and take the actor's reach as a filter, resolved from PostgreSQL.
 */
export interface SearchIndex {
  /**
   * Matches best first (rank desc, id asc), after `after` when given; at most `limit`.
   * `windowFull`: more documents matched than the index ranks per query (relevance is bounded).
   */
  documents(q: DocumentQuery): Promise<{ hits: RankedDocument[]; windowFull: boolean }>;
  /** Title matches for a quick switcher: prefix, then substring, then typo-tolerant. */
  titles(q: TitleQuery): Promise<TitleHit[]>;
}

const MAX_TERMS = 8;
const MAX_TITLE_QUERY_CHARS = 100;
const WORD = /[\p{L}\p{N}]+/gu;

const words = (s: string) => (s.match(WORD) ?? []).map((w) => w.toLowerCase());

/**
 * Splits user input into words and "quoted phrases" made of letters and digits only, so input
 * can never inject tsquery syntax. The last unquoted word is a prefix (search as you type).
 */
export function parseQuery(q: string): ParsedQuery {
  const text = q.normalize('NFKC');
  const phrases: string[][] = [];
  let budget = MAX_TERMS;
  const rest = text.replace(/"([^"]*)"?/g, (_, inner: string) => {
    const p = words(inner).slice(0, budget);
    budget -= p.length;
    if (p.length > 1) phrases.push(p);
    else if (p.length === 1) return ` ${p[0]} `;
    return ' ';
  });
  const plain = words(rest).slice(0, Math.max(0, budget));
  const quotedAtEnd = /"[^"]*"?\s*$/.test(text);
  return { words: plain, phrases, prefixLast: plain.length > 0 && !quotedAtEnd };
}

/** The tsquery text of a parsed query (`a & b:*`, phrases as `(c <-> d)`). */
export function toTsquery(p: ParsedQuery): string {
  const plain = p.words.map((w, i) => (p.prefixLast && i === p.words.length - 1 ? `${w}:*` : w));
  const phrases = p.phrases.map((ph) => `(${ph.join(' <-> ')})`);
  return [...plain, ...phrases].join(' & ');
}

export function encodeSearchCursor(c: SearchCursor): string {
  return Buffer.from(`${c.rankKey}|${c.id}`).toString('base64url');
}
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RANK_KEY = /^(?:\d+(?:\.\d+)?(?:e[-+]?\d+)?)$/i;
export function decodeSearchCursor(cursor: string): SearchCursor {
  const [rankKey, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!rankKey || !id || !RANK_KEY.test(rankKey) || !CANONICAL_UUID.test(id)) {
    throw new Invalid('cursor is not valid', [{ field: '/cursor', message: 'not a cursor returned by this API' }]);
  }
  return { rankKey, id };
}

/** Told about every query, for metrics. */
export type SearchObserver = (kind: 'documents' | 'titles', seconds: number, windowFull: boolean) => void;

export class Search {
  private readonly index: SearchIndex;
  private readonly observe: SearchObserver;
  constructor(index: SearchIndex, observe: SearchObserver = () => undefined) {
    this.index = index;
    this.observe = observe;
  }

  async search(
    actor: string,
    input: { q: string; workspaceId?: string; limit: number; cursor?: string },
  ): Promise<SearchPage> {
    const query = parseQuery(input.q);
    if (query.words.length === 0 && query.phrases.length === 0) {
      throw new Invalid('search needs at least one word', [{ field: '/q', message: 'no searchable words' }]);
    }
    const after = input.cursor ? decodeSearchCursor(input.cursor) : undefined;
    const started = performance.now();
    // One more than asked tells whether a next page exists.
    const { hits: rows, windowFull } = await withSpan(
      'search.documents',
      {
        'search.words': query.words.length,
        'search.phrases': query.phrases.length,
        'search.scoped': !!input.workspaceId,
      },
      async (span) => {
        const r = await this.index.documents({
          actor,
          query,
          workspaceId: input.workspaceId,
          limit: input.limit + 1,
          after,
        });
        span.setAttribute('search.window_full', r.windowFull);
        return r;
      },
    );
    this.observe('documents', (performance.now() - started) / 1000, windowFull);
    const page = rows.slice(0, input.limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => ({
        id: r.id,
        workspaceId: r.workspaceId,
        title: r.title,
        rank: r.rank,
        snippet: documentSnippet(r.title, r.text, r.lexemes),
      })),
      nextCursor: rows.length > input.limit && last ? encodeSearchCursor({ rankKey: last.rankKey, id: last.id }) : null,
    };
  }

  async titles(actor: string, input: { q: string; workspaceId?: string; limit: number }): Promise<TitleHit[]> {
    const q = words(input.q.normalize('NFKC')).join(' ').slice(0, MAX_TITLE_QUERY_CHARS);
    if (!q) throw new Invalid('type at least one letter or digit', [{ field: '/q', message: 'no searchable words' }]);
    const started = performance.now();
    const hits = await withSpan('search.titles', { 'search.chars': q.length }, () =>
      this.index.titles({ actor, q, workspaceId: input.workspaceId, limit: input.limit }),
    );
    this.observe('titles', (performance.now() - started) / 1000, false);
    return hits;
  }
}
