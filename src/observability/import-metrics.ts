/**
 * Metrics of file imports [I1]: how many files became documents or were refused, by format and
 * outcome, and how long converting them took. A rising `over_budget` share means files that
 * exhaust the CRDT worker budget (or heap): see docs/operations.md "Imports".
 */
import client from 'prom-client';

const IMPORT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Fits the import use case's observer port structurally (observability imports no subsystem). */
export function importMetrics(registry: client.Registry): (format: string, outcome: string, seconds: number) => void {
  const imports = new client.Counter({
    name: 'document_imports_total',
    help: 'Files imported as new documents, by format and outcome (ok, unsupported, unreadable, too_deep, too_large, over_budget)',
    labelNames: ['format', 'outcome'],
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'document_import_duration_seconds',
    help: 'Time to convert one imported file into a document (queueing for a CRDT worker included), by format',
    labelNames: ['format'],
    buckets: IMPORT_BUCKETS,
    registers: [registry],
  });
  // Zero from the start, so rate() sees the first refusal after a restart.
  for (const outcome of ['ok', 'over_budget']) imports.inc({ format: 'docx', outcome }, 0);
  return (format, outcome, seconds) => {
    imports.inc({ format, outcome });
    if (outcome === 'ok') duration.observe({ format }, seconds);
  };
}
