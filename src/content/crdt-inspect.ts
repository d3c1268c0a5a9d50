/**
 * What an untrusted Yjs update would cost to integrate, measured before it touches a document,
 * in time linear in its size. Yjs (YATA) resolves an insert against every item already between
 * its origin and right origin: concurrent inserts at one position cost O(n²) and worse, which is
 * how one 257 KB update froze a server for 17.5 s. Nothing in Yjs bounds or reports that cost, so
 * this module counts it:
 *
 * - inside the update: structs, nesting depth, and items sharing one insertion point (the same
 *   origin and right origin — only concurrent edits do that; one client typing never does);
 * - against the document: for every item, the items the conflict loop would walk between its
 *   origin and right origin (`Y.getItem` finds the origin; the walk stops at the step budget).
 *
 * The verdict says whether the update itself is too complex (refuse the frame: its sender built
 * it) or whether the document already holds a pile-up that makes ordinary edits expensive
 * (quarantine the document: whoever built it, it can no longer be served within budget).
 */
import * as Y from 'yjs';

export type CrdtLimits = {
  /** Structs (items, deletions excluded) one update may carry. */
  maxStructsPerUpdate: number;
  /** Items of one update that may share one insertion point. */
  maxConcurrentInserts: number;
  /** Element nesting an update may create. */
  maxDepth: number;
  /** Conflict-resolution steps (walk + within-update pairs) one update may cost. */
  maxIntegrationSteps: number;
};

export type UpdateCost = {
  structs: number;
  deleteRanges: number;
  /** Most items sharing one insertion point. */
  maxConcurrent: number;
  depth: number;
  /** Steps spent among the update's own items that share an origin (k² / 2 per origin). */
  ownSteps: number;
  /** Steps the conflict loop would walk through the document's items (stops at the budget). */
  documentSteps: number;
};

export type Verdict =
  | { ok: true; cost: UpdateCost }
  | { ok: false; action: 'refuse' | 'quarantine'; reason: string; cost: UpdateCost };

type DecodedItem = Y.Item & { parent: Y.ID | string | null; parentSub: string | null };

const idKey = (id: Y.ID): string => `${id.client}:${id.clock}`;

function insertionPoint(item: DecodedItem): string {
  const o = item.origin ? idKey(item.origin) : '-';
  const r = item.rightOrigin ? idKey(item.rightOrigin) : '-';
  const parent =
    item.origin || item.rightOrigin
      ? ''
      : typeof item.parent === 'string'
        ? item.parent
        : item.parent
          ? idKey(item.parent)
          : '';
  return `${o}|${r}|${parent}|${item.parentSub ?? ''}`;
}

/** Where the conflict loop of an item without an origin would start: its parent's first child. */
function parentStart(doc: Y.Doc, item: DecodedItem): Y.Item | null | undefined {
  if (item.parentSub !== null) return undefined; // map entries without origin: a first set, no walk
  if (typeof item.parent === 'string')
    return (doc.share.get(item.parent) as Y.AbstractType<unknown> | undefined)?._start ?? null;
  if (item.parent === null) return undefined;
  const parent = findItem(doc, item.parent);
  const content = parent?.content as { type?: Y.AbstractType<unknown> } | undefined;
  return content?.type ? content.type._start : undefined;
}

function findItem(doc: Y.Doc, id: Y.ID): Y.Item | undefined {
  const clients = doc.store.clients.get(id.client);
  if (!clients || clients.length === 0) return undefined;
  const last = clients[clients.length - 1]!;
  if (id.clock >= last.id.clock + last.length) return undefined;
  const struct = Y.getItem(doc.store, id);
  return struct instanceof Y.Item ? struct : undefined;
}

const contains = (item: Y.Item, id: Y.ID): boolean =>
  item.id.client === id.client && item.id.clock <= id.clock && id.clock < item.id.clock + item.length;

const sameId = (a: Y.ID | null, b: Y.ID | null): boolean =>
  a === b || (a !== null && b !== null && a.client === b.client && a.clock === b.clock);

/**
 * The steps Yjs's conflict loop (Item.integrate) would take for `item` in `doc`, up to `budget`:
 * the same walk with the same stopping rules — it goes on only through items inserted at the same
 * origin (or after one it already passed), so a crafted far-away right origin costs nothing more,
 * and only a real pile-up of concurrent inserts makes it long.
 */
function walk(doc: Y.Doc, item: DecodedItem, budget: number): number {
  let o: Y.Item | null | undefined;
  if (item.origin) {
    const left = findItem(doc, item.origin);
    if (!left) return 0; // unknown origin: Yjs keeps the update pending; nothing to walk yet
    // An origin inside an item: nothing was ever inserted right after it, so nothing to resolve.
    if (item.origin.clock < left.id.clock + left.length - 1) return 0;
    o = left.right;
  } else {
    o = parentStart(doc, item);
    if (o === undefined) return 0;
  }
  const passed = new Set<Y.Item>();
  let steps = 0;
  while (o && steps < budget) {
    if (item.rightOrigin && contains(o, item.rightOrigin)) break;
    passed.add(o);
    steps++;
    if (sameId(item.origin, o.origin)) {
      if (o.id.client > item.id.client && sameId(item.rightOrigin, o.rightOrigin)) break;
    } else {
      const before = o.origin ? findItem(doc, o.origin) : undefined;
      if (!before || !passed.has(before)) break;
    }
    o = o.right;
  }
  return steps;
}

/** Counts an update's cost against `doc` (which it does not change) and judges it by `limits`. */
export function inspectUpdate(doc: Y.Doc, update: Uint8Array, limits: CrdtLimits): Verdict {
  const { structs, ds } = Y.decodeUpdate(update);
  const cost: UpdateCost = { structs: 0, deleteRanges: 0, maxConcurrent: 0, depth: 0, ownSteps: 0, documentSteps: 0 };
  for (const ranges of ds.clients.values()) cost.deleteRanges += ranges.length;
  const items: DecodedItem[] = [];
  for (const s of structs) if (s instanceof Y.Item) items.push(s as DecodedItem);
  cost.structs = items.length;
  if (cost.structs > limits.maxStructsPerUpdate) {
    return {
      ok: false,
      action: 'refuse',
      reason: `update has ${cost.structs} structs (limit ${limits.maxStructsPerUpdate})`,
      cost,
    };
  }
  // Insertion points shared inside the update, and nesting through the types it creates.
  const shared = new Map<string, number>();
  // Items sharing an origin whatever their right origin: a crafted right origin keeps the
  // conflict loop walking, so each may walk past all the others (k² / 2 per origin).
  const sameOrigin = new Map<string, number>();
  const depthOf = new Map<string, number>();
  for (const item of items) {
    const key = insertionPoint(item);
    const n = (shared.get(key) ?? 0) + 1;
    shared.set(key, n);
    if (n > cost.maxConcurrent) cost.maxConcurrent = n;
    const originKey = item.origin ? idKey(item.origin) : `-${key.slice(key.indexOf('|'))}`;
    const m = (sameOrigin.get(originKey) ?? 0) + 1;
    sameOrigin.set(originKey, m);
    cost.ownSteps += m - 1;
    const via = item.origin ?? item.rightOrigin;
    const depth = via
      ? (depthOf.get(idKey(via)) ?? 0)
      : item.parent && typeof item.parent !== 'string'
        ? (depthOf.get(idKey(item.parent)) ?? 0) + 1
        : 0;
    if (item.content instanceof Y.ContentType) depthOf.set(idKey(item.id), depth);
    if (depth > cost.depth) cost.depth = depth;
  }
  if (cost.maxConcurrent > limits.maxConcurrentInserts) {
    return {
      ok: false,
      action: 'refuse',
      reason: `update inserts ${cost.maxConcurrent} items at one position (limit ${limits.maxConcurrentInserts})`,
      cost,
    };
  }
  if (cost.depth > limits.maxDepth) {
    return {
      ok: false,
      action: 'refuse',
      reason: `update nests ${cost.depth} levels (limit ${limits.maxDepth})`,
      cost,
    };
  }
  if (cost.ownSteps > limits.maxIntegrationSteps) {
    return {
      ok: false,
      action: 'refuse',
      reason: `update costs ${cost.ownSteps} conflict steps (limit ${limits.maxIntegrationSteps})`,
      cost,
    };
  }
  let budget = limits.maxIntegrationSteps - cost.ownSteps;
  for (const item of items) {
    const steps = walk(doc, item, budget + 1);
    cost.documentSteps += steps;
    budget -= steps;
    if (budget < 0) {
      return {
        ok: false,
        action: 'quarantine',
        reason: `the document holds more than ${limits.maxIntegrationSteps} concurrent items where this update inserts`,
        cost,
      };
    }
  }
  return { ok: true, cost };
}
