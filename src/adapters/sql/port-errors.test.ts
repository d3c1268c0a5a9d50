/** The query port's typed errors come out of both drivers alike (PGlite and, with DATABASE_URL, PostgreSQL). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabases } from '../../../test/support/test-database.ts';
import { type Sql, UniqueViolation } from '../../app/ports.ts';

describe.each(testDatabases)('query port errors [$name]', ({ open }) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await open();
  });
  afterAll(() => t.close());

  const insertUser = (email: string, db: Sql = t.database.pool('api')) =>
    db.insertInto('users').values({ id: crypto.randomUUID(), email, display_name: 'x', password_hash: null }).execute();

  it('a duplicate key is a UniqueViolation, not a driver error', async () => {
    await insertUser('dup@example.test');
    const err = await insertUser('DUP@example.test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UniqueViolation);
    expect((err as UniqueViolation).cause).toMatchObject({ code: '23505' });
  });

  it('inside a transaction too, and other errors pass through unchanged', async () => {
    const db = t.database.pool('api');
    const inTx = await db
      .transaction()
      .execute((tx) => insertUser('dup@example.test', tx))
      .catch((e: unknown) => e);
    expect(inTx).toBeInstanceOf(UniqueViolation);
    const other = await db
      .selectFrom('users')
      .select('id')
      .where('id', '=', 'not-a-uuid')
      .execute()
      .catch((e: unknown) => e);
    expect(other).not.toBeInstanceOf(UniqueViolation);
    expect(other).toMatchObject({ code: '22P02' });
  });
});
