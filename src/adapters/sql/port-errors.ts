/**
 * Translates driver errors into the query port's typed errors (src/app/ports.ts) for pg and
 * PGlite alike, so use cases catch `UniqueViolation` instead of testing Postgres SQLSTATE codes.
 * Kysely has no error hook, hence a thin dialect wrapper that patches each connection once.
 */
import type { CompiledQuery, DatabaseConnection, Dialect, QueryResult } from 'kysely';
import { UniqueViolation } from '../../app/ports.ts';

/** SQLSTATE unique_violation; both drivers report it on `code`. */
const UNIQUE_VIOLATION = '23505';

export function toPortError(err: unknown): unknown {
  if (typeof err === 'object' && err !== null && (err as { code?: unknown }).code === UNIQUE_VIOLATION) {
    return new UniqueViolation(err instanceof Error ? err.message : 'unique constraint violated', { cause: err });
  }
  return err;
}

const translated = new WeakSet<DatabaseConnection>();

function translate(connection: DatabaseConnection): DatabaseConnection {
  if (translated.has(connection)) return connection;
  const execute = connection.executeQuery.bind(connection);
  connection.executeQuery = <R>(query: CompiledQuery): Promise<QueryResult<R>> =>
    execute<R>(query).catch((err: unknown) => {
      throw toPortError(err);
    });
  translated.add(connection);
  return connection;
}

/** The dialect, with every connection's query errors translated. */
export function withPortErrors(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createDriver: () => {
      const driver = dialect.createDriver();
      const acquire = driver.acquireConnection.bind(driver);
      driver.acquireConnection = async () => translate(await acquire());
      return driver;
    },
  };
}
