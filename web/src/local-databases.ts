/**
 * The names of this origin's IndexedDB databases, asked for by the entry script on a cold open of
 * a document: the session (editor/collab-session.ts) connects at once when the document has no
 * copy on this device, and the browser's answer takes 50–150 ms of a cold open (bench:web's
 * phases), so it is asked for while the editor's code is still downloading.
 */
let early: Promise<string[]> | undefined;

function listDatabases(): Promise<string[]> {
  return indexedDB.databases().then((dbs) => dbs.map((db) => db.name ?? ''));
}

/** The on-device copy of a document, per person: another account on this browser never sees (or sends) these edits. */
export function localStoreName(userId: string, documentId: string): string {
  return `collab-docs:${userId}:${documentId}`;
}

/** The early answer without taking it (the session takes it): for the entry's sync socket. */
export function peekLocalDatabaseNames(): Promise<string[]> | undefined {
  return early;
}

/** Starts asking now; the first `localDatabaseNames()` gets this answer. */
export function listLocalDatabasesEarly(): void {
  if (early || typeof indexedDB === 'undefined' || typeof indexedDB.databases !== 'function') return;
  early = listDatabases();
  early.catch(() => undefined); // a failure is the caller's to handle, when it asks
}

/**
 * This origin's database names: the early answer once (the databases cannot have been listed
 * long before), a fresh one after that; undefined where the browser cannot list them.
 */
export function localDatabaseNames(): Promise<string[]> | undefined {
  const answer = early;
  early = undefined;
  if (answer) return answer;
  if (typeof indexedDB === 'undefined' || typeof indexedDB.databases !== 'function') return undefined;
  return listDatabases();
}
