/**
 * A generator of hostile Yjs updates for the isolation tests and bench:isolation: each kind is
 * what one client could send (or pile up over many frames) to make the server's CRDT work grow
 * faster than the bytes it received. All are valid updates that Yjs accepts, so only budgets and
 * caps (content/crdt-inspect.ts, content/crdt-pool.ts) stand between them and the event loop.
 *
 * - `concurrentInserts`: n client ids each inserting at the same position of the same paragraph
 *   (the same origin and right origin): YATA resolves each against all the others, O(n²) and worse.
 * - `deepNesting`: elements nested `depth` levels deep (recursive readers overflow their stack).
 * - `hugeDelete`: `n` characters typed one by one by `clients` clients, then every other one
 *   deleted, so the delete set has n/2 ranges.
 * - `mapKeyConflicts`: n client ids setting the same attribute of one element concurrently.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

const FRAGMENT = 'default';

/** The base document an attack targets: one paragraph with `text` (returned as an update). */
export function baseParagraph(text = 'hello world', clientId = 1): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = clientId;
  const p = new Y.XmlElement('paragraph');
  p.insert(0, [new Y.XmlText(text)]);
  doc.getXmlFragment(FRAGMENT).insert(0, [p]);
  const update = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return update;
}

/**
 * The same edit made against `base` by n different clients, concurrently, merged into one update.
 * The edit is made once; its update (one client, clocks from 0, no deletions) is re-encoded under
 * each client id, which is what n separate clients would send — and takes milliseconds, not minutes.
 */
function concurrent(
  base: Uint8Array,
  n: number,
  firstClient: number,
  edit: (doc: Y.Doc, i: number) => void,
): Uint8Array {
  const baseVector = Y.encodeStateVectorFromUpdate(base);
  const template = (i: number): Uint8Array => {
    const doc = new Y.Doc();
    doc.clientID = firstClient + i;
    Y.applyUpdate(doc, base);
    edit(doc, i);
    const update = Y.encodeStateAsUpdate(doc, baseVector);
    doc.destroy();
    return update;
  };
  const first = template(0);
  const d = decoding.createDecoder(first);
  const clients = decoding.readVarUint(d);
  const structs = decoding.readVarUint(d);
  decoding.readVarUint(d); // the client id, replaced below
  const clock = decoding.readVarUint(d);
  // What follows is the struct itself, then the (empty) delete set: one 0 byte.
  const struct = first.subarray(d.pos, first.byteLength - 1);
  if (clients !== 1 || first[first.byteLength - 1] !== 0)
    throw new Error('the edit must add structs of one client, delete nothing');
  // One update with n clients (Y.mergeUpdates would take minutes for 26,000).
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, n);
  for (let i = 0; i < n; i++) {
    encoding.writeVarUint(e, structs);
    encoding.writeVarUint(e, firstClient + i);
    encoding.writeVarUint(e, clock);
    encoding.writeUint8Array(e, struct);
  }
  encoding.writeVarUint(e, 0);
  return encoding.toUint8Array(e);
}

function firstText(doc: Y.Doc): Y.XmlText {
  const p = doc.getXmlFragment(FRAGMENT).get(0) as Y.XmlElement;
  return p.get(0) as Y.XmlText;
}

/** n clients each insert `chars` at `index` of the base paragraph, concurrently. */
export function concurrentInserts(
  n: number,
  opts: { base?: Uint8Array; index?: number; chars?: string; firstClient?: number } = {},
): Uint8Array {
  const base = opts.base ?? baseParagraph();
  return concurrent(base, n, opts.firstClient ?? 1_000_000, (doc) =>
    firstText(doc).insert(opts.index ?? 1, opts.chars ?? 'x'),
  );
}

/** n clients each set the same attribute of the base paragraph (to the same value), concurrently. */
export function mapKeyConflicts(n: number, opts: { base?: Uint8Array; firstClient?: number } = {}): Uint8Array {
  const base = opts.base ?? baseParagraph();
  return concurrent(base, n, opts.firstClient ?? 2_000_000, (doc, i) =>
    (doc.getXmlFragment(FRAGMENT).get(0) as Y.XmlElement).setAttribute('data-x', String(i)),
  );
}

/** One client nests `depth` blockquotes, a paragraph at the bottom (built top-down: no recursion). */
export function deepNesting(depth: number, clientId = 3_000_000): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = clientId;
  doc.transact(() => {
    let parent: Y.XmlFragment | Y.XmlElement = doc.getXmlFragment(FRAGMENT);
    for (let i = 0; i < depth; i++) {
      const child = new Y.XmlElement('blockquote');
      parent.insert(0, [child]);
      parent = child;
    }
    const p = new Y.XmlElement('paragraph');
    parent.insert(0, [p]);
    p.insert(0, [new Y.XmlText('deep')]);
  });
  const update = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return update;
}

/**
 * `n` characters typed one at a time by `clients` clients in turn (an odd number, so every client
 * keeps alternating characters), then every other one deleted.
 */
export function hugeDelete(n: number, clients = 3, firstClient = 4_000_000): Uint8Array {
  const doc = new Y.Doc();
  const p = new Y.XmlElement('paragraph');
  const text = new Y.XmlText('');
  p.insert(0, [text]);
  doc.getXmlFragment(FRAGMENT).insert(0, [p]);
  for (let i = 0; i < n; i++) {
    doc.clientID = firstClient + (i % clients);
    text.insert(i, 'y');
  }
  doc.transact(() => {
    for (let i = n - 1; i >= 0; i -= 2) text.delete(i, 1);
  });
  const update = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return update;
}

/** The kinds by name, at a size that is cheap to build and expensive to integrate naively. */
export const ADVERSARIAL_KINDS = {
  concurrentInserts: (n: number) => concurrentInserts(n),
  mapKeyConflicts: (n: number) => mapKeyConflicts(n),
  deepNesting: (n: number) => deepNesting(n),
  hugeDelete: (n: number) => hugeDelete(n),
} as const;
