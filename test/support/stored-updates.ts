/**
 * Reads a document's stored Yjs state and log rows straight from PostgreSQL, and checks them for
 * content stored twice (an update re-persisted by a second instance, or re-sent in full).
 */
import pg from 'pg';
import * as Y from 'yjs';

/** The compacted state (if any) followed by the log rows, in commit order. */
export async function readStoredUpdates(databaseUrl: string, documentId: string): Promise<Uint8Array[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const doc = await c.query<{ state: Uint8Array | null }>('select state from documents where id = $1', [documentId]);
    const rows = await c.query<{ update: Uint8Array }>(
      'select update from document_updates where document_id = $1 order by seq',
      [documentId],
    );
    const state = doc.rows[0]?.state;
    return [...(state ? [state] : []), ...rows.rows.map((r) => r.update)];
  } finally {
    await c.end();
  }
}

/** How many content structs (by client and clock range) appear in more than one of `updates`. */
export function duplicatedStructs(updates: Uint8Array[]): number {
  const byClient = new Map<number, Array<[number, number]>>();
  for (const u of updates) {
    for (const s of Y.decodeUpdate(u).structs) {
      if (s instanceof Y.Skip) continue;
      const ranges = byClient.get(s.id.client) ?? [];
      ranges.push([s.id.clock, s.id.clock + s.length]);
      byClient.set(s.id.client, ranges);
    }
  }
  let overlaps = 0;
  for (const ranges of byClient.values()) {
    ranges.sort((x, y) => x[0] - y[0]);
    let end = -1;
    for (const [from, to] of ranges) {
      if (from < end) overlaps++;
      end = Math.max(end, to);
    }
  }
  return overlaps;
}

/** The text of a `Y.Text` after applying every stored update to a fresh document. */
export function storedText(updates: Uint8Array[], name = 'text'): string {
  const doc = new Y.Doc();
  try {
    for (const u of updates) Y.applyUpdate(doc, u);
    return doc.getText(name).toString();
  } finally {
    doc.destroy();
  }
}
