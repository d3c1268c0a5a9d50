/**
 * Kysely dialect over PGlite (PostgreSQL in WASM, one connection). Written here because the
 * community dialects lag PGlite releases and none exposes queue stats: every role's "pool"
 * shares one mutex, so a transaction owns the database from BEGIN to COMMIT.
 */
import type { PGlite } from '@electric-sql/pglite';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from 'kysely';
import { Unavailable } from '../../domain/errors.ts';

/** FIFO mutex with timed waits; shared by all drivers over one PGlite instance. */
export class PgliteLock {
  private held = false;
  private readonly queue: Array<{ grant: () => void }> = [];
  get waiting(): number {
    return this.queue.length;
  }
  get isHeld(): boolean {
    return this.held;
  }
  acquire(timeoutMs: number): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const i = this.queue.indexOf(entry);
        if (i >= 0) this.queue.splice(i, 1);
        reject(new Unavailable('embedded database busy'));
      }, timeoutMs);
      this.queue.push(entry);
    });
  }
  release(): void {
    const next = this.queue.shift();
    if (next) next.grant();
    else this.held = false;
  }
}

class PgliteConnection implements DatabaseConnection {
  private readonly db: PGlite;
  constructor(db: PGlite) {
    this.db = db;
  }
  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    if (q.parameters.length === 0 && q.sql.includes(';')) {
      // Multi-statement scripts (migrations) need the simple protocol.
      const results = await this.db.exec(q.sql);
      const last = results.at(-1);
      return { rows: (last?.rows ?? []) as R[], numAffectedRows: BigInt(last?.affectedRows ?? 0) };
    }
    const r = await this.db.query<R>(q.sql, q.parameters as unknown[]);
    return { rows: r.rows, numAffectedRows: r.affectedRows === undefined ? undefined : BigInt(r.affectedRows) };
  }
  // biome-ignore lint/correctness/useYield: streaming is not supported by PGlite; fail loudly.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite dialect does not support streaming queries');
  }
}

export type PgliteDriverStats = { inUse: number; waiting: number };

class PgliteDriver implements Driver {
  private readonly db: PGlite;
  private readonly lock: PgliteLock;
  private readonly acquireTimeoutMs: number;
  private readonly onAcquire: (waitMs: number) => void;
  private readonly connection: PgliteConnection;
  inUse = 0;
  waiting = 0;
  constructor(db: PGlite, lock: PgliteLock, acquireTimeoutMs: number, onAcquire: (waitMs: number) => void) {
    this.db = db;
    this.lock = lock;
    this.acquireTimeoutMs = acquireTimeoutMs;
    this.onAcquire = onAcquire;
    this.connection = new PgliteConnection(db);
  }
  async init(): Promise<void> {
    await this.db.waitReady;
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    const started = performance.now();
    this.waiting++;
    try {
      await this.lock.acquire(this.acquireTimeoutMs);
    } finally {
      this.waiting--;
    }
    this.inUse++;
    this.onAcquire(performance.now() - started);
    return this.connection;
  }
  async beginTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery({ sql: 'begin', parameters: [] } as unknown as CompiledQuery);
  }
  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery({ sql: 'commit', parameters: [] } as unknown as CompiledQuery);
  }
  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery({ sql: 'rollback', parameters: [] } as unknown as CompiledQuery);
  }
  async releaseConnection(): Promise<void> {
    this.inUse--;
    this.lock.release();
  }
  async destroy(): Promise<void> {
    // The PGlite instance is closed by its owner, after every role is done.
  }
}

export class PgliteDialect implements Dialect {
  readonly driver: PgliteDriver;
  constructor(db: PGlite, lock: PgliteLock, acquireTimeoutMs: number, onAcquire: (waitMs: number) => void) {
    this.driver = new PgliteDriver(db, lock, acquireTimeoutMs, onAcquire);
  }
  createDriver(): Driver {
    return this.driver;
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
  createAdapter() {
    return new PostgresAdapter();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
}
