/**
 * Keyset cursors of the document lists, one kind per order, opaque to clients. Every cursor is
 * checked here (a forged one is a 400, never an SQL error) and carries its order, so a cursor of
 * one order cannot be replayed against another.
 */
import { Invalid } from '../domain/errors.ts';
import { TITLE_MAX_LENGTH } from '../domain/limits.ts';

/** How a document list is ordered: creation, last update or last opened (newest first), or title (A→Z). */
export type DocumentOrder = 'created' | 'updated' | 'title' | 'opened';

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MICROSECOND_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export const badCursor = () =>
  new Invalid('cursor is not valid', [{ field: '/cursor', message: 'not a cursor returned by this API' }]);

/** Cursor of the `created` order = the last row's (created_at, id). */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`).toString('base64url');
}
export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  // Forged cursors must fail here, not in SQL: ids the uuid column rejects, years it cannot store.
  const year = createdAt.getUTCFullYear();
  if (!id || Number.isNaN(year) || year < 1 || year > 9999 || !CANONICAL_UUID.test(id)) {
    throw badCursor();
  }
  return { createdAt, id };
}

/** A real calendar instant (no 30 February, no year 0) with six fraction digits. */
function isMicrosecondInstant(value: string): boolean {
  const millis = value.slice(0, 23);
  const date = new Date(`${millis}Z`);
  return (
    MICROSECOND_UTC.test(value) &&
    !Number.isNaN(date.getTime()) &&
    date.toISOString().startsWith(millis) &&
    date.getUTCFullYear() >= 1
  );
}

/**
 * Cursor of the `updated` and `opened` orders (and of the trash list): tagged, and holding the instant to the
 * microsecond (a millisecond Date would skip rows updated within it).
 */
export type InstantTag = 'updated' | 'opened' | 'trashed' | 'version';
export function encodeInstantCursor(tag: InstantTag, micros: string, id: string): string {
  return Buffer.from(`${tag}|${micros}|${id}`).toString('base64url');
}
export function decodeInstantCursor(tag: InstantTag, cursor: string): { at: string; id: string } {
  const [seen, at = '', id = '', extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (seen !== tag || extra !== undefined || !isMicrosecondInstant(at) || !CANONICAL_UUID.test(id)) {
    throw badCursor();
  }
  return { at, id };
}

/** Cursor of the `title` order: the title travels as JSON, since titles may hold any character. */
export function encodeTitleCursor(title: string, id: string): string {
  return Buffer.from(JSON.stringify(['title', title, id])).toString('base64url');
}
export function decodeTitleCursor(cursor: string): { title: string; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw badCursor();
  const [tag, title, id] = parsed as unknown[];
  if (
    tag !== 'title' ||
    typeof title !== 'string' ||
    title.length > TITLE_MAX_LENGTH ||
    title.includes('\u0000') ||
    typeof id !== 'string' ||
    !CANONICAL_UUID.test(id)
  ) {
    throw badCursor();
  }
  return { title, id };
}

/** SQL renders timestamps to the microsecond in UTC with this pattern (`to_char`). */
export const MICROSECOND_PATTERN = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"';
