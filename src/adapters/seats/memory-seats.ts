/**
 * The seat ledger in process (the embedded default, and tests that run several registries in one
 * process): the same rules as the Redis script (redis-seats.ts), on an injected clock.
 */
import type { FleetCounts, SeatLedger } from '../../sync/ports.ts';

/** `line`: member → its instance, in ticket order; `waiting`: per instance, how many of the line are its. */
type Doc = {
  seats: Map<string, number>;
  viewers: Map<string, number>;
  line: Map<string, string>;
  waiting: Map<string, number>;
};

export class MemorySeats implements SeatLedger {
  private readonly docs = new Map<string, Doc>();
  /** Instance id → when it stops counting (clock ms). */
  private readonly alive = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(opts: { ttlMs: number; now?: () => number }) {
    this.ttlMs = opts.ttlMs;
    this.now = opts.now ?? (() => performance.now());
  }

  async heartbeat(instanceId: string): Promise<void> {
    this.touch(instanceId);
  }

  async claim(documentId: string, instanceId: string, cap: number, waiter?: string) {
    const doc = this.open(documentId, instanceId);
    let total = 0;
    for (const n of doc.seats.values()) total += n;
    const head = doc.line.keys().next();
    const mine = waiter === undefined ? undefined : member(instanceId, waiter);
    const granted = total < cap && (mine === undefined ? head.done === true : head.value === mine);
    if (granted) {
      if (mine !== undefined) leaveLine(doc, mine);
      doc.seats.set(instanceId, (doc.seats.get(instanceId) ?? 0) + 1);
    }
    return { granted, others: this.others(doc, instanceId) };
  }

  async release(documentId: string, instanceId: string): Promise<FleetCounts> {
    const doc = this.open(documentId, instanceId);
    doc.seats.set(instanceId, Math.max(0, (doc.seats.get(instanceId) ?? 0) - 1));
    return this.others(doc, instanceId);
  }

  async enqueue(documentId: string, instanceId: string, waiter: string): Promise<FleetCounts> {
    const doc = this.open(documentId, instanceId);
    const m = member(instanceId, waiter);
    if (!doc.line.has(m)) {
      doc.line.set(m, instanceId);
      doc.waiting.set(instanceId, (doc.waiting.get(instanceId) ?? 0) + 1);
    }
    return this.others(doc, instanceId);
  }

  async dequeue(documentId: string, instanceId: string, waiter: string): Promise<FleetCounts> {
    const doc = this.open(documentId, instanceId);
    leaveLine(doc, member(instanceId, waiter));
    return this.others(doc, instanceId);
  }

  async report(
    documentId: string,
    instanceId: string,
    counts: { viewers: number; editors?: number; waiters?: string[] },
  ): Promise<FleetCounts> {
    const doc = this.open(documentId, instanceId);
    doc.viewers.set(instanceId, counts.viewers);
    if (counts.editors !== undefined) doc.seats.set(instanceId, counts.editors);
    if (counts.waiters) {
      const keep = new Set(counts.waiters.map((w) => member(instanceId, w)));
      for (const [m, inst] of doc.line) if (inst === instanceId && !keep.has(m)) doc.line.delete(m);
      for (const m of keep) if (!doc.line.has(m)) doc.line.set(m, instanceId);
      doc.waiting.set(instanceId, keep.size);
    }
    return this.others(doc, instanceId);
  }

  async forget(documentId: string, instanceId: string): Promise<void> {
    const doc = this.docs.get(documentId);
    if (!doc) return;
    dropInstance(doc, instanceId);
    if (doc.seats.size === 0 && doc.viewers.size === 0 && doc.waiting.size === 0) this.docs.delete(documentId);
  }

  async retire(instanceId: string): Promise<void> {
    this.alive.delete(instanceId);
  }

  async close(): Promise<void> {
    this.docs.clear();
    this.alive.clear();
  }

  private touch(instanceId: string): void {
    this.alive.set(instanceId, this.now() + this.ttlMs);
  }

  /** The document's entry with the caller kept alive and every silent instance dropped from it. */
  private open(documentId: string, instanceId: string): Doc {
    this.touch(instanceId);
    let doc = this.docs.get(documentId);
    if (!doc) {
      doc = { seats: new Map(), viewers: new Map(), line: new Map(), waiting: new Map() };
      this.docs.set(documentId, doc);
    }
    const now = this.now();
    // The instances of a document are few: no walk over the line (thousands may wait in it).
    const instances = new Set([...doc.seats.keys(), ...doc.viewers.keys(), ...doc.waiting.keys()]);
    for (const inst of instances)
      if ((this.alive.get(inst) ?? Number.NEGATIVE_INFINITY) <= now) dropInstance(doc, inst);
    return doc;
  }

  private others(doc: Doc, instanceId: string): FleetCounts {
    const counts = { editors: 0, viewers: 0, waiting: 0 };
    for (const [inst, n] of doc.seats) if (inst !== instanceId) counts.editors += n;
    for (const [inst, n] of doc.viewers) if (inst !== instanceId) counts.viewers += n;
    for (const [inst, n] of doc.waiting) if (inst !== instanceId) counts.waiting += n;
    return counts;
  }
}

function member(instanceId: string, waiter: string): string {
  return `${instanceId}|${waiter}`;
}

function leaveLine(doc: Doc, m: string): void {
  const inst = doc.line.get(m);
  if (inst === undefined) return;
  doc.line.delete(m);
  doc.waiting.set(inst, Math.max(0, (doc.waiting.get(inst) ?? 0) - 1));
}

/** Rare (an instance died or its room unloaded): the walk over the line is fine here. */
function dropInstance(doc: Doc, instanceId: string): void {
  doc.seats.delete(instanceId);
  doc.viewers.delete(instanceId);
  if (!doc.waiting.delete(instanceId)) return;
  for (const [m, inst] of doc.line) if (inst === instanceId) doc.line.delete(m);
}
