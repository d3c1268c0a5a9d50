/**
 * Durable invalidation events: a command records its events in `outbox_events` inside its own
 * transaction; after commit they are applied locally (so revocation holds on the very next
 * request here), published on the bus for other instances, and deleted. A relay republishes
 * rows left behind by a crash between commit and publish. Changes whose notice may be lost
 * (cached rows with a TTL backstop) are `announce`d instead: applied locally, published once.
 */
import { sql, type Transaction } from 'kysely';
import type { BusMessage, EventBus, Sql } from './ports.ts';
import type { DB } from './schema.ts';

export const PERMISSIONS_CHANNEL = 'control:permissions';
/** An account's sessions ended (sign out everywhere, password change, deletion): every instance forgets it [A9]. */
export const ACCOUNTS_CHANNEL = 'control:accounts';
/**
 * A document's cached row changed (src/app/document-cache.ts): renames and compactions are
 * announced here best-effort, account deletion through the outbox. Its own channel: unknown types
 * on PERMISSIONS_CHANNEL make older instances drop every cached permission.
 */
export const DOCUMENTS_CHANNEL = 'control:documents';

type Pending = { channel: string; message: BusMessage };
export type Emit = (channel: string, message: BusMessage) => void;
type LocalHandler = (message: BusMessage) => void;

/** Rows older than this are assumed orphaned by a crashed publisher. */
const RELAY_AGE_MS = 5_000;
const RELAY_BATCH = 100;

export class DomainEvents {
  private readonly bus: EventBus;
  private readonly local = new Map<string, LocalHandler[]>();
  private readonly onError: (err: unknown) => void;
  private readonly onAnnounceError: (err: unknown) => void;

  constructor(bus: EventBus, onError: (err: unknown) => void, onAnnounceError: (err: unknown) => void = onError) {
    this.bus = bus;
    this.onError = onError;
    this.onAnnounceError = onAnnounceError;
  }

  /** Handlers run synchronously after commit on this instance, before the response is sent. */
  onLocal(channel: string, handler: LocalHandler): void {
    this.local.set(channel, [...(this.local.get(channel) ?? []), handler]);
  }

  /**
   * Best-effort, without the outbox: this instance's handlers run at once (read-your-writes here),
   * then one publish that is not retried if it fails. Only for what a TTL backstop bounds.
   */
  announce(channel: string, message: BusMessage): void {
    for (const h of this.local.get(channel) ?? []) h(message);
    this.bus.publish(channel, message).catch(this.onAnnounceError);
  }

  /** Runs `fn` in a transaction; events it emits are stored with it and published after commit. */
  async transaction<T>(db: Sql, fn: (tx: Transaction<DB>, emit: Emit) => Promise<T>): Promise<T> {
    const pending: Pending[] = [];
    const { result, ids } = await db.transaction().execute(async (tx) => {
      const result = await fn(tx, (channel, message) => pending.push({ channel, message }));
      if (pending.length === 0) return { result, ids: [] as number[] };
      const rows = await tx
        .insertInto('outbox_events')
        .values(pending.map((p) => ({ channel: p.channel, payload: JSON.stringify(p.message) })))
        .returning('id')
        .execute();
      return { result, ids: rows.map((r) => r.id) };
    });
    if (pending.length > 0) await this.deliver(db, pending, ids);
    return result;
  }

  private async deliver(db: Sql, pending: Pending[], ids: number[]): Promise<void> {
    for (const p of pending) for (const h of this.local.get(p.channel) ?? []) h(p.message);
    try {
      await Promise.all(pending.map((p) => this.bus.publish(p.channel, p.message)));
      await db.deleteFrom('outbox_events').where('id', 'in', ids).execute();
    } catch (err) {
      // The rows stay; the relay publishes them once the bus is back.
      this.onError(err);
    }
  }

  /** Publishes orphaned rows. Safe on every instance at once (SKIP LOCKED). */
  async relay(db: Sql): Promise<number> {
    return db.transaction().execute(async (tx) => {
      const rows = await tx
        .selectFrom('outbox_events')
        .select(['id', 'channel', 'payload'])
        .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${RELAY_AGE_MS / 1000})`)
        .orderBy('id')
        .limit(RELAY_BATCH)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length === 0) return 0;
      for (const r of rows) await this.bus.publish(r.channel, r.payload as BusMessage);
      await tx
        .deleteFrom('outbox_events')
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      return rows.length;
    });
  }
}
