/**
 * [S5.6] One room's part in its document's fleet-wide tiers: editing seats are claimed from and
 * given back to the seat ledger (Redis across instances, in process on the embedded default), so
 * the editor cap counts every instance's editors; waiters hold a place in the fleet's one line;
 * the other instances' counts (editors, viewers of hot rooms, waiters) come back with every answer
 * and are added to this room's own for its tier and ROOM_STATUS.
 *
 * Bounded traffic: seats move only when someone joins, leaves or changes rights; the periodic
 * report runs only for rooms with fleet business (hot here, waiters here, or counts elsewhere).
 * When the ledger fails (Redis away), decisions fall back to this instance's counts plus the
 * last known others' — the per-instance behaviour of before — and the next report repairs the
 * ledger from what this room holds.
 */
import type { Clock, Timer } from './clock.ts';
import type { FleetCounts, SeatLedger } from './ports.ts';
import type { Session } from './session.ts';

const DEFAULT_HOT_ABOVE = 100;
const DEFAULT_REPORT_MS = 2_000;
const NONE: FleetCounts = { editors: 0, viewers: 0, waiting: 0 };

/** Hooks for metrics; none may throw. */
export type FleetObserver = {
  /** One ledger call, by operation and outcome ('ok' or 'error', the latter falling back to local counts). */
  seatLedgerCall?(op: string, result: 'ok' | 'error', seconds: number): void;
  /** How old the other instances' counts were when a report refreshed them. */
  fleetCountsAge?(seconds: number): void;
};

export type FleetRoom = {
  /** Editing sessions here (seats held by joined sessions). */
  editors(): number;
  /** Connections here. */
  connections(): number;
  /** Sessions here waiting for a seat, oldest first. */
  waiters(): Iterable<Session>;
  /** The others' counts changed (tier and status may have). */
  changed(): void;
  /** A periodic report ran: waiters here may be first in line now (a seat-freed notice can be lost). */
  retryWaiters(): void;
  /** Others wait: tell the document's instances a seat is free. */
  announceSeatFreed(): void;
  /** This hot room's published counts changed: tell the document's instances to refresh theirs. */
  announceCounts(): void;
};

export class FleetTiers {
  /** The other instances' counts, as of `othersAt`. */
  others: FleetCounts = NONE;
  private othersAt = Number.NEGATIVE_INFINITY;
  private readonly documentId: string;
  private readonly instanceId: string;
  private readonly ledger: SeatLedger;
  private readonly clock: Clock;
  private readonly cap: number;
  private readonly hotAbove: number;
  private readonly reportMs: number;
  private readonly observer: FleetObserver;
  private readonly room: FleetRoom;
  private readonly waiterIds = new WeakMap<Session, string>();
  private nextWaiter = 0;
  /** Claims sent and not answered: a repair must not overwrite the seats they took. */
  private inflight = 0;
  /** A ledger call failed: the next report resets this instance's seats and waiters there. */
  private dirty = false;
  private timer: Timer | undefined;
  private stopped = false;
  /** Viewers this room last published (0: none). */
  private published = 0;

  constructor(deps: {
    documentId: string;
    instanceId: string;
    ledger: SeatLedger;
    clock: Clock;
    cap: number;
    hotAbove?: number;
    reportMs?: number;
    observer: FleetObserver;
    room: FleetRoom;
  }) {
    this.documentId = deps.documentId;
    this.instanceId = deps.instanceId;
    this.ledger = deps.ledger;
    this.clock = deps.clock;
    this.cap = deps.cap;
    this.hotAbove = deps.hotAbove ?? DEFAULT_HOT_ABOVE;
    this.reportMs = deps.reportMs ?? DEFAULT_REPORT_MS;
    this.observer = deps.observer;
    this.room = deps.room;
  }

  /** Editors across the fleet: this room's plus the others'. */
  get editors(): number {
    return this.room.editors() + this.others.editors;
  }

  /** Seconds since the others' counts were last heard (0 when no other instance has the document). */
  get staleness(): number {
    if (!this.hasOthers()) return 0;
    return Math.max(0, (this.clock.now() - this.othersAt) / 1000);
  }

  /**
   * Takes an editing seat: for a newcomer (or a share upgrade) only when nobody waits, for a
   * waiter only when it is first in the fleet's line. Resolves whether it got one.
   */
  async claim(waiter?: Session): Promise<boolean> {
    const id = waiter && this.waiterId(waiter);
    this.inflight++;
    try {
      const r = await this.call('claim', () => this.ledger.claim(this.documentId, this.instanceId, this.cap, id));
      if (r) {
        this.heard(r.others);
        return r.granted;
      }
      // The ledger is away: decide as one instance would, with the last known others.
      return this.editors < this.cap;
    } finally {
      this.inflight--;
    }
  }

  /** Gives a seat back; when others wait, tells them it is free. */
  release(): void {
    void this.call('release', () => this.ledger.release(this.documentId, this.instanceId)).then((others) => {
      if (!others) return;
      this.heard(others);
      if (others.waiting > 0) this.room.announceSeatFreed();
    });
  }

  enqueue(session: Session): void {
    const id = this.waiterId(session);
    void this.call('enqueue', () => this.ledger.enqueue(this.documentId, this.instanceId, id)).then((o) => {
      if (o) this.heard(o);
    });
    this.schedule();
  }

  dequeue(session: Session): void {
    const id = this.waiterId(session);
    void this.call('dequeue', () => this.ledger.dequeue(this.documentId, this.instanceId, id)).then((o) => {
      if (o) this.heard(o);
    });
  }

  /** A session holds edit rights without a claimed seat (joined directly): the next report records it. */
  unclaimed(): void {
    this.dirty = true;
    this.schedule();
  }

  /** Rooms with fleet business report periodically; others stay silent. */
  schedule(): void {
    if (this.stopped || this.timer || !this.busy()) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.report().finally(() => this.schedule());
    }, this.reportMs);
  }

  /** Another instance's hot room changed its counts: refresh ours now (unless a report is due anyway). */
  refreshSoon(): void {
    if (this.stopped || this.timer) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.report().finally(() => this.schedule());
    }, 0);
  }

  /** Publishes this room's counts (viewers of a hot room; seats and waiters when they need repair). */
  async report(): Promise<void> {
    const connections = this.room.connections();
    const editors = this.room.editors();
    const hot = connections >= this.hotAbove;
    const repair = this.dirty && this.inflight === 0;
    const viewers = hot ? Math.max(0, connections - editors) : 0;
    const counts = {
      viewers,
      ...(repair ? { editors, waiters: [...this.room.waiters()].map((s) => this.waiterId(s)) } : {}),
    };
    const before = this.othersAt;
    const others = await this.call('report', () => this.ledger.report(this.documentId, this.instanceId, counts));
    if (!others) return;
    if (repair) this.dirty = false;
    if (viewers !== this.published) {
      this.published = viewers;
      this.room.announceCounts();
    }
    if (Number.isFinite(before)) this.observer.fleetCountsAge?.((this.clock.now() - before) / 1000);
    this.heard(others);
    this.room.retryWaiters();
  }

  /** The room unloads: its seats, counts and waiters leave the ledger. */
  forget(): Promise<void> {
    this.stop();
    return this.ledger.forget(this.documentId, this.instanceId).catch(() => undefined);
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private busy(): boolean {
    if (this.dirty || this.published > 0 || this.hasOthers()) return true;
    if (this.room.connections() >= this.hotAbove) return true;
    for (const _ of this.room.waiters()) return true;
    return false;
  }

  private hasOthers(): boolean {
    return this.others.editors + this.others.viewers + this.others.waiting > 0;
  }

  private heard(others: FleetCounts): void {
    const changed =
      others.editors !== this.others.editors ||
      others.viewers !== this.others.viewers ||
      others.waiting !== this.others.waiting;
    this.others = others;
    this.othersAt = this.clock.now();
    if (changed) {
      this.room.changed();
      this.schedule();
    }
  }

  private waiterId(session: Session): string {
    let id = this.waiterIds.get(session);
    if (!id) {
      id = String(++this.nextWaiter);
      this.waiterIds.set(session, id);
    }
    return id;
  }

  /** One ledger call, measured; undefined when it failed (then the ledger needs a repair). */
  private async call<T>(op: string, work: () => Promise<T>): Promise<T | undefined> {
    // Stopped (unloading or shutting down): forget/retire speak for the room from now on.
    if (this.stopped) return undefined;
    const started = this.clock.now();
    try {
      const r = await work();
      this.observer.seatLedgerCall?.(op, 'ok', (this.clock.now() - started) / 1000);
      return r;
    } catch {
      this.observer.seatLedgerCall?.(op, 'error', (this.clock.now() - started) / 1000);
      this.dirty = true;
      this.schedule();
      return undefined;
    }
  }
}
