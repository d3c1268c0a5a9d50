/** Interfaces the use cases depend on; adapters implement them (memory and Redis side by side). */
import { type Kysely, sql } from 'kysely';
import type { ProseMirrorJson } from '../content/prosemirror-json.ts';
import type { DB } from './schema.ts';

/**
 * The query port: Kysely over the schema's row types. Kysely is driver-agnostic (the adapters
 * open it on pg pools or PGlite), so the use cases write their SQL against this and nothing else;
 * a repository layer in between would restate every query (docs/architecture.md "Query port").
 */
export type Sql = Kysely<DB>;

/**
 * Appended to a statement (`.modifyEnd(PREPARED)`, or at the end of an `sql` template), it asks the
 * query port to run it as a named prepared statement where the driver can (pg: parsed once per
 * connection, and planned once when PostgreSQL finds the generic plan as good). Only for texts
 * that are few and stable — values as parameters, no per-caller SQL (each distinct text is kept
 * prepared on every pooled connection) — and whose plan does not hinge on a value (search's
 * per-word choice does: never there). PGlite ignores it. (issue 18: per-request parse and plan.)
 */
export const PREPARED = sql`/* prepared */`;
/** The text PREPARED compiles to, which the adapters look for at a statement's end. */
export const PREPARED_MARK = '/* prepared */';

/**
 * Thrown by the query port when a write breaks a unique constraint, whatever the driver: the
 * adapters translate the driver's error (SQLSTATE 23505) into this, so use cases never test codes.
 */
export class UniqueViolation extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UniqueViolation';
  }
}

import type { RateDecision, RateGrant, RatePolicy } from '../domain/rate-limits.ts';

/** Messages on the bus are versioned; new fields always have defaults (rolling deploys). */
export type BusMessage = { v: 1; type: string; [field: string]: unknown };

export interface EventBus {
  /** Best-effort, at-most-once delivery to every subscriber on every instance (including this one). */
  publish(channel: string, message: BusMessage): Promise<void>;
  subscribe(channel: string, handler: (message: BusMessage) => void): Promise<() => Promise<void>>;
  /** Best-effort binary fan-out (Yjs updates/awareness) on a channel; delivered to every subscriber on every instance, including this one. */
  publishBytes(channel: string, payload: Uint8Array): Promise<void>;
  /**
   * The payload is a copy of what was published, shared by this instance's subscribers of the
   * channel and possibly a view into a larger receive buffer: never write to it, copy what you keep
   * for long. Use channels of their own for bytes, apart from JSON ones.
   */
  subscribeBytes(channel: string, handler: (payload: Uint8Array) => void): Promise<() => Promise<void>>;
  /** False while messages may be missed (Redis down): callers must not trust caches then. */
  readonly healthy: boolean;
  /** Called after a gap in delivery ended: anything cached from events may be stale. */
  onResync(listener: () => void): void;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type Hit = { count: number; resetInSeconds: number };

/** Fixed-window counters (login throttling, later quotas and rate limits). */
export interface CounterStore {
  increment(key: string, windowSeconds: number): Promise<Hit>;
  peek(key: string): Promise<Hit>;
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

/** A document's content now: ProseMirror JSON, its plain text, and where it was read. */
export type DocumentSnapshot = { content: ProseMirrorJson; text: string; source: 'room' | 'storage' };

/** Reads a document's current content (live room first, stored state otherwise); null when it does not exist. */
export interface ContentSource {
  read(documentId: string): Promise<DocumentSnapshot | null>;
}

// --- Search (src/app/search.ts uses it; src/adapters/sql/postgres-search.ts implements it)

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
  /** Found by its comments alone: the opening of their text, to cut the snippet from instead [C8]. */
  commentText?: string;
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

/** GCRA request-rate buckets: one atomic decision per call (docs/architecture.md, rate limits). */
export interface RateLimitStore {
  /** Decides one request against `key`'s bucket and, when allowed, counts it. Rejects when the store cannot decide. */
  consume(key: string, policy: RatePolicy): Promise<RateDecision>;
  /** Takes up to `want` requests at once (a lease, RL12): as many as the bucket holds now, ≥ 1, or refuses. */
  take(key: string, policy: RatePolicy, want: number): Promise<RateGrant>;
  close(): Promise<void>;
}

// --- Mail (src/app/mail-outbox.ts delivers through it; src/adapters/mail implements it)

/** One plain-text message to one person. Links in it carry secrets: never log the text. */
export type MailMessage = { to: string; subject: string; text: string };

export interface Mailer {
  /** How messages leave: an SMTP server (SMTP_URL), or `.eml` files under DATA_DIR/mail. */
  readonly transport: 'smtp' | 'file';
  /** Delivers one message; resolves with where it went (a file path, or the server's message id). */
  send(message: MailMessage): Promise<string>;
  close(): Promise<void>;
}
