/**
 * `collab-docs documents quarantined|inspect|repair|release`: the operator's commands for
 * quarantined documents (sync/quarantine-admin.ts), against the configured database. Inspect and
 * repair run in a CRDT worker with a budget of ten times CRDT_WORKER_BUDGET_MS (at least 60 s):
 * the operator chose to spend it, and it never blocks a server's event loop.
 */

import { openDatabase } from '../adapters/sql/database.ts';
import { migrateToLatest } from '../adapters/sql/migrator.ts';
import { SqlQuarantineStore } from '../adapters/sql/quarantine-store.ts';
import { SqlUpdateLog } from '../adapters/sql/update-log.ts';
import type { Config } from '../config/config.ts';
import { CrdtBudgetExceeded, CrdtPool } from '../content/crdt-pool.ts';
import { Metrics } from '../observability/metrics.ts';
import { QuarantineAdmin } from '../sync/quarantine-admin.ts';

const OPERATOR_BUDGET_FACTOR = 10;
const OPERATOR_BUDGET_MIN_MS = 60_000;
const TEXT_PREVIEW_CHARS = 400;

export async function runDocumentsCommand(
  config: Config,
  sub: 'quarantined' | 'inspect' | 'repair' | 'release',
  documentId: string | undefined,
  print: (line: string) => void,
): Promise<number> {
  const metrics = new Metrics();
  const db = await openDatabase(config, { metrics, logError: (err) => console.error(err) });
  const budgetMs = Math.max(OPERATOR_BUDGET_MIN_MS, config.crdt.workerBudgetMs * OPERATOR_BUDGET_FACTOR);
  const crdt = new CrdtPool({ threads: 1, workerBudgetMs: budgetMs, mainBudgetMs: config.crdt.mainBudgetMs });
  try {
    await migrateToLatest(db.admin);
    const admin = new QuarantineAdmin({
      log: new SqlUpdateLog(db.admin),
      quarantine: new SqlQuarantineStore(db.admin),
      crdt,
      budgetMs,
    });
    if (sub === 'quarantined') {
      const rows = await admin.list();
      if (rows.length === 0) print('no quarantined documents');
      for (const r of rows) print(`${r.documentId}  since ${r.since.toISOString()}  ${r.reason}`);
      return 0;
    }
    const id = documentId as string;
    if (sub === 'release') {
      const released = await admin.release(id);
      print(released ? `released ${id}: it is served again as it is` : `${id} was not quarantined`);
      return released ? 0 : 1;
    }
    if (sub === 'inspect') {
      const r = await admin.inspect(id);
      if (!r) {
        print(`no document ${id}`);
        return 1;
      }
      print(`document ${id}`);
      print(
        `  quarantined: ${r.quarantine ? `since ${r.quarantine.since.toISOString()}: ${r.quarantine.reason}` : 'no'}`,
      );
      print(`  stored: ${r.storedBytes} bytes, ${r.logRows} log rows; ${r.structs} structs from ${r.clients} clients`);
      print(
        `  rebuild ${r.integrateMs} ms in a worker; loading it would hold the event loop ${r.applyMs} ms (budget ${config.crdt.mainBudgetMs} ms)`,
      );
      print(
        `  text: ${JSON.stringify(r.text.slice(0, TEXT_PREVIEW_CHARS))}${r.text.length > TEXT_PREVIEW_CHARS ? '…' : ''}`,
      );
      return 0;
    }
    const r = await admin.repair(id);
    if (!r) {
      print(`no document ${id}`);
      return 1;
    }
    print(
      `repaired ${id}: ${r.rowsMerged} log rows merged; now ${r.structs} structs, ${r.applyMs} ms to load; released`,
    );
    return 0;
  } catch (err) {
    if (err instanceof CrdtBudgetExceeded) {
      print(`over budget even for the operator (${budgetMs} ms): ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await crdt.close();
    await db.close();
    metrics.close();
  }
}
