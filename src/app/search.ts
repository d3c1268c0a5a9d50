/**
 * Search use cases — full-text over documents (ranked, keyset-paged) and the quick switcher's
 * title matches — behind the SearchIndex port, so a search engine can be added as an adapter
 * without touching callers. The PostgreSQL adapter is src/adapters/sql/postgres-search.ts.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { Invalid, Unavailable } from '../domain/errors.ts';
import { withSpan } from '../observability/tracing.ts';
import type { ParsedQuery, SearchCursor, SearchIndex, TitleHit } from './ports.ts';
import { documentSnippet, type Segment, snippet } from './snippets.ts';

export type { ParsedQuery, SearchCursor, SearchIndex, TitleHit } from './ports.ts';

export type SearchHit = {
  id: string;
  workspaceId: string;
  title: string;
  rank: number;
  snippet: Segment[];
  /** Where the snippet was cut from: the document, or its comments when only they matched [C8]. */
  snippetSource: 'content' | 'comment';
};
export type SearchPage = { items: SearchHit[]; nextCursor: string | null };
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
  // The input ends inside or right after a phrase: no plain word is being typed.
  const quotedAtEnd = (text.match(/"/g) ?? []).length % 2 === 1 || /"\s*$/.test(text);
  return { words: plain, phrases, prefixLast: plain.length > 0 && !quotedAtEnd };
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
export type SearchKind = 'documents' | 'titles';

/**
 * Search statements are the API's most expensive reads (~1 ms of server and ~3 ms of PostgreSQL
 * CPU each in bench:api's mix), so each kind runs in a bulkhead [RL13]: at most `concurrency` at once
 * per instance, up to `queueMax` waiting in turn, and past that 503 with Retry-After. Left
 * unbounded, a burst of searches took every API connection and most of PostgreSQL's CPU, and the
 * lists and writes queued behind them (issue 18: mixed p95 at 2,000 req/s 12.7 / 39.5 ms unbounded
 * against 7.9 / 18.0 ms with two at a time, same minutes).
 */
export type SearchBulkhead = {
  concurrency: number;
  queueMax: number;
  onRejected?: (kind: SearchKind) => void;
};

export class Search {
  private readonly index: SearchIndex;
  private readonly observe: SearchObserver;
  private readonly lanes: Record<SearchKind, LimitFunction>;
  private readonly queueMax: number;
  private readonly onRejected: (kind: SearchKind) => void;
  constructor(
    index: SearchIndex,
    observe: SearchObserver = () => undefined,
    bulkhead: SearchBulkhead = { concurrency: 2, queueMax: 200 },
  ) {
    this.index = index;
    this.observe = observe;
    this.lanes = { documents: pLimit(bulkhead.concurrency), titles: pLimit(bulkhead.concurrency) };
    this.queueMax = bulkhead.queueMax;
    this.onRejected = bulkhead.onRejected ?? (() => undefined);
  }

  /** Queries of this kind waiting for their turn on this instance (metrics). */
  waiting(kind: SearchKind): number {
    return this.lanes[kind].pendingCount;
  }

  /** Runs `query` in its kind's bulkhead; 503 when too many are already waiting. */
  private inTurn<T>(kind: SearchKind, query: () => Promise<T>): Promise<T> {
    const lane = this.lanes[kind];
    if (lane.pendingCount >= this.queueMax) {
      this.onRejected(kind);
      return Promise.reject(new Unavailable('too many searches are waiting on this server; retry shortly', 1));
    }
    return lane(query);
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
        const r = await this.inTurn('documents', () =>
          this.index.documents({ actor, query, workspaceId: input.workspaceId, limit: input.limit + 1, after }),
        );
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
        snippet:
          r.commentText === undefined ? documentSnippet(r.title, r.text, r.lexemes) : snippet(r.commentText, r.lexemes),
        snippetSource: r.commentText === undefined ? ('content' as const) : ('comment' as const),
      })),
      nextCursor: rows.length > input.limit && last ? encodeSearchCursor({ rankKey: last.rankKey, id: last.id }) : null,
    };
  }

  async titles(actor: string, input: { q: string; workspaceId?: string; limit: number }): Promise<TitleHit[]> {
    const q = words(input.q.normalize('NFKC')).join(' ').slice(0, MAX_TITLE_QUERY_CHARS);
    if (!q) throw new Invalid('type at least one letter or digit', [{ field: '/q', message: 'no searchable words' }]);
    const started = performance.now();
    const hits = await withSpan('search.titles', { 'search.chars': q.length }, () =>
      this.inTurn('titles', () => this.index.titles({ actor, q, workspaceId: input.workspaceId, limit: input.limit })),
    );
    this.observe('titles', (performance.now() - started) / 1000, false);
    return hits;
  }
}
