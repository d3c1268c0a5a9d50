/**
 * Runs the statements marked with PREPARED (src/app/ports.ts) as named prepared statements on a pg
 * client: node-postgres then sends Parse once per connection and only Bind/Execute afterwards, and
 * PostgreSQL keeps the statement's plan (a generic one once it costs no more than the custom
 * plans of its first five runs). Kysely's pg driver has no option for statement names, so the
 * pooled client's `query` is wrapped once; the name is a hash of the text, so two texts never share
 * a name and the same text always gets the same one. Unmarked statements pass through untouched.
 *
 * A prepared statement outlives DDL by being re-planned; only a change of its result's column
 * types fails it ("cached plan must not change result type") — migrations that change a column's
 * type run before a release starts serving, and pooled connections are recycled anyway
 * (DB_MAX_LIFETIME_S).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { PREPARED_MARK } from '../../app/ports.ts';

const wrapped = new WeakSet<pg.PoolClient>();
const names = new Map<string, string>();
/** Distinct marked texts are few (a handful per use case); the bound only guards against misuse. */
const MAX_NAMES = 1_000;

/** The statement name of a marked text: `cd_` and 20 hex digits of its SHA-1. */
export function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `cd_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    if (names.size < MAX_NAMES) names.set(text, name);
  }
  return name;
}

type Query = (config: unknown, values?: unknown, callback?: unknown) => unknown;

/** Makes `client` run marked statements by name; idempotent (pooled clients come back). */
export function preparing(client: pg.PoolClient): pg.PoolClient {
  if (wrapped.has(client)) return client;
  wrapped.add(client);
  const query = client.query.bind(client) as Query;
  (client as unknown as { query: Query }).query = (config, values, callback) =>
    typeof config === 'string' && config.endsWith(PREPARED_MARK)
      ? query({ name: statementName(config), text: config, values }, callback)
      : query(config, values, callback);
  return client;
}
