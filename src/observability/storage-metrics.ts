/**
 * Metrics of the file stores (local directory, PostgreSQL, S3): operations by backend, kind and
 * outcome, and their latency. `file_storage_operations_total{outcome="error"}` feeds the
 * FileStorageErrors alert (docs/operations.md "Export storage").
 */
import client from 'prom-client';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
export type StorageOp = 'put' | 'open' | 'delete' | 'sweep';

export class StorageMetrics {
  private readonly operations: client.Counter<'backend' | 'op' | 'outcome'>;
  private readonly duration: client.Histogram<'backend' | 'op'>;
  private readonly bytes: client.Counter<'backend' | 'direction'>;

  constructor(registry: client.Registry) {
    const registers = [registry];
    this.operations = new client.Counter({
      name: 'file_storage_operations_total',
      help: 'File storage operations by backend (local, postgres, s3), operation and outcome (ok, missing, error)',
      labelNames: ['backend', 'op', 'outcome'],
      registers,
    });
    this.duration = new client.Histogram({
      name: 'file_storage_operation_seconds',
      help: 'File storage operation latency (open: until the stream is ready, not the whole download)',
      labelNames: ['backend', 'op'],
      buckets: BUCKETS,
      registers,
    });
    this.bytes = new client.Counter({
      name: 'file_storage_bytes_total',
      help: 'Bytes written to (in) and opened for reading from (out) file storage',
      labelNames: ['backend', 'direction'],
      registers,
    });
  }

  /** Present from the start so rate() sees the first error after a restart. */
  init(backend: string): void {
    for (const op of ['put', 'open', 'delete', 'sweep'] as const) {
      for (const outcome of ['ok', 'error']) this.operations.inc({ backend, op, outcome }, 0);
    }
  }

  observe(backend: string, op: StorageOp, outcome: 'ok' | 'missing' | 'error', seconds: number): void {
    this.operations.inc({ backend, op, outcome });
    this.duration.observe({ backend, op }, seconds);
  }

  transferred(backend: string, direction: 'in' | 'out', bytes: number): void {
    this.bytes.inc({ backend, direction }, bytes);
  }
}
