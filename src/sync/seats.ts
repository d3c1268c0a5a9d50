/**
 * A room's editing seats [S5.4] [S5.5] [S5.6]: who may edit, who waits in line for a seat, and the
 * fleet-wide counts behind both (fleet-tiers.ts). Viewers never take a seat, so viewer load never
 * demotes anyone with edit rights; above the editor cap (counted across instances) newcomers with
 * edit rights join read-only and wait, and each seat that frees up anywhere goes live to the
 * first in the document's one line, wherever that person is connected.
 */
import type { Clock } from './clock.ts';
import type { StatusCounts } from './fanout.ts';
import { type FleetObserver, FleetTiers } from './fleet-tiers.ts';
import type { RoomLimits } from './limits.ts';
import type { SeatLedger } from './ports.ts';
import { type Access, encodeAccessChanged, FLEET_COUNTS_NOTICE, SEAT_FREED_NOTICE } from './protocol.ts';
import type { Session } from './session.ts';

export class Seats {
  /**
   * Joined sessions here that may edit, kept as they join, leave and change access: O(1) counts
   * for ROOM_STATUS, and the editors' own broadcast lane (fanout.ts) walks only them.
   */
  readonly editing = new Set<Session>();
  /** Seats admit() claimed for sessions that have not joined yet. */
  private admitted = 0;
  /**
   * Sessions here with edit rights waiting for a seat, oldest first (a Set keeps insertion order);
   * their places in the fleet's line are in the same order.
   */
  readonly waitlist = new Set<Session>();
  readonly fleet: FleetTiers;
  private readonly cap: number;
  private readonly sessions: ReadonlySet<Session>;
  private readonly room: {
    closing(): boolean;
    /** ACCESS_CHANGED was sent to a session seated from the line: its ROOM_STATUS follows. */
    seated(session: Session, frame: Uint8Array): void;
    scheduleStatus(): void;
  };
  private promoting = false;
  private promoteAgain = false;

  constructor(deps: {
    documentId: string;
    sessions: ReadonlySet<Session>;
    limits: RoomLimits;
    clock: Clock;
    ledger: SeatLedger;
    instanceId: string;
    observer: FleetObserver;
    publish: (frame: Uint8Array) => void;
    room: Seats['room'];
  }) {
    this.cap = deps.limits.viewOnlyAbove;
    this.sessions = deps.sessions;
    this.room = deps.room;
    this.fleet = new FleetTiers({
      documentId: deps.documentId,
      instanceId: deps.instanceId,
      ledger: deps.ledger,
      clock: deps.clock,
      cap: this.cap,
      hotAbove: deps.limits.fleetHotAbove,
      reportMs: deps.limits.fleetReportMs,
      observer: deps.observer,
      room: {
        editors: () => this.editing.size + this.admitted,
        connections: () => this.sessions.size,
        waiters: () => this.waitlist,
        changed: () => deps.room.scheduleStatus(),
        retryWaiters: () => this.promote(),
        announceSeatFreed: () => deps.publish(SEAT_FREED_NOTICE),
        announceCounts: () => deps.publish(FLEET_COUNTS_NOTICE),
      },
    });
  }

  /** ROOM_STATUS counts: this instance's plus the other instances' (S5.6). */
  counts(): StatusCounts {
    const { others } = this.fleet;
    return {
      editors: this.editing.size + others.editors,
      viewers: this.sessions.size - this.editing.size + others.viewers,
      waitlist: this.waitlist.size + others.waiting,
    };
  }

  /**
   * Newcomers with edit rights join read-only: at the cap (fleet-wide), and while anyone waits
   * (behind them) — so a seat changing hands does not flip the tier, and re-send ROOM_STATUS to
   * everyone, twice.
   */
  get full(): boolean {
    return this.fleet.editors >= this.cap || this.waitlist.size + this.fleet.others.waiting > 0;
  }

  /** Edit rights take a seat of the document when one is free and nobody waits; otherwise 'read'. */
  async admit(requested: Access): Promise<Access> {
    if (requested !== 'edit') return requested;
    if (!(await this.fleet.claim())) return 'read';
    this.admitted++;
    return 'edit';
  }

  cancelAdmit(access: Access): void {
    if (access !== 'edit' || this.admitted === 0) return;
    this.admitted--;
    this.free();
  }

  joined(session: Session, rights: Access): void {
    if (session.canEdit) {
      this.editing.add(session);
      // A session made with edit access without admit() (server-side joins, tests) still holds a seat.
      if (this.admitted > 0) this.admitted--;
      else this.fleet.unclaimed();
    } else if (rights === 'edit') {
      this.waitlist.add(session);
      this.fleet.enqueue(session);
    }
    this.fleet.schedule();
  }

  /** The session already left the room's sessions. */
  left(session: Session): void {
    if (this.waitlist.delete(session)) this.fleet.dequeue(session);
    if (this.editing.delete(session)) this.free();
  }

  /** A permission re-check: edit rights at the cap mean a place in line, not a seat [S5.5]. */
  async grant(session: Session, rights: Access): Promise<Access> {
    if (rights === 'read') {
      if (this.waitlist.delete(session)) this.fleet.dequeue(session);
      if (session.canEdit) {
        this.setAccess(session, 'read');
        this.free();
      }
      return 'read';
    }
    if (session.canEdit || this.waitlist.has(session) || !this.sessions.has(session)) return session.access;
    const granted = await this.fleet.claim();
    const here = this.sessions.has(session) && !session.closed;
    if (!granted) {
      if (here && !session.canEdit && !this.waitlist.has(session)) {
        this.waitlist.add(session);
        this.fleet.enqueue(session);
      }
      return session.access;
    }
    if (!here || session.canEdit) {
      this.free(); // Gone (or seated) meanwhile: the seat is not needed.
      return session.access;
    }
    if (this.waitlist.delete(session)) this.fleet.dequeue(session);
    this.setAccess(session, 'edit');
    return 'edit';
  }

  private setAccess(session: Session, access: Access): void {
    if (session.access === access) return;
    session.access = access;
    if (!this.sessions.has(session)) return;
    if (access === 'edit') this.editing.add(session);
    else this.editing.delete(session);
  }

  /** A seat of this instance goes back to the fleet; waiters here may take it. */
  private free(): void {
    this.fleet.release();
    this.promote();
  }

  /**
   * Seats are free somewhere (here, a peer's notice, a periodic report): the longest-waiting
   * sessions here take them, live, while each is first in the fleet's line (one claim at a time).
   */
  promote(): void {
    if (this.promoting) {
      this.promoteAgain = true;
      return;
    }
    if (this.waitlist.size === 0 || this.room.closing()) return;
    this.promoting = true;
    void this.seatWaiters().finally(() => {
      this.promoting = false;
      if (this.promoteAgain) {
        this.promoteAgain = false;
        this.promote();
      }
    });
  }

  private async seatWaiters(): Promise<void> {
    for (;;) {
      const next = this.waitlist.values().next().value;
      if (!next || this.room.closing()) return;
      if (!(await this.fleet.claim(next))) return;
      if (!this.waitlist.delete(next) || next.closed || !this.sessions.has(next)) {
        this.free(); // It left while its claim was on the way: the seat goes on.
        continue;
      }
      this.setAccess(next, 'edit');
      this.room.seated(next, encodeAccessChanged({ access: 'edit', reason: 'an editing seat freed up' }));
    }
  }
}
