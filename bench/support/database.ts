/**
 * A throw-away PostgreSQL database per benchmark run (CREATE DATABASE bench_<random>, dropped at
 * the end), or the embedded PGlite when no PostgreSQL answers.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const CONNECT_TIMEOUT_MS = 3_000;

export type BenchDatabase =
  | {
      kind: 'postgres';
      name: string;
      /** The URL the server is given. */
      url: string;
      /** Runs SQL in the bench database (seeding what the API cannot write, e.g. document text). */
      query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
      drop(): Promise<void>;
    }
  | { kind: 'pglite'; reason: string; drop(): Promise<void> };

/** The URL without its password, for logs and the result. */
export function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined); // A dropped idle connection is reported by the next query instead.
  await client.connect();
  return client;
}

export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  let admin: pg.Client;
  try {
    admin = await connect(adminUrl);
  } catch (err) {
    const reason = `no PostgreSQL at ${redact(adminUrl)}: ${err instanceof Error ? err.message : String(err)}`;
    return { kind: 'pglite', reason, drop: async () => undefined };
  }
  const name = `bench_${randomBytes(6).toString('hex')}`;
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  let seeding: pg.Client | undefined;
  let dropped = false;
  return {
    kind: 'postgres',
    name,
    url,
    async query(text, values) {
      seeding ??= await connect(url);
      return seeding.query(text, values);
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      await seeding?.end().catch(() => undefined);
      const c = await connect(adminUrl);
      try {
        // WITH (FORCE) ends connections a killed server may have left behind (PostgreSQL ≥ 13).
        await c.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
