/**
 * Metrics of search: query time by kind (full-text documents, quick-switcher titles) and how
 * often a query matched more documents than one query ranks (the window; docs/architecture.md
 * "Search"). A rising window-full share is the signal that relevance is being bounded.
 */
import client from 'prom-client';

const SEARCH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1];

/**
 * The search bulkhead [RL13]: how many queries of each kind wait for their turn (read at scrape
 * time from `waiting`), and how many were refused because too many already did.
 */
export function searchBulkheadMetrics(
  registry: client.Registry,
  waiting: (kind: 'documents' | 'titles') => number,
): (kind: 'documents' | 'titles') => void {
  new client.Gauge({
    name: 'search_waiting',
    help: 'Searches waiting for their turn in the search bulkhead, by kind',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      for (const kind of ['documents', 'titles'] as const) this.set({ kind }, waiting(kind));
    },
  });
  const rejected = new client.Counter({
    name: 'search_rejected_total',
    help: 'Searches answered 503 because the search bulkhead queue was full, by kind',
    labelNames: ['kind'],
    registers: [registry],
  });
  for (const kind of ['documents', 'titles'] as const) rejected.inc({ kind }, 0);
  return (kind) => rejected.inc({ kind });
}

/** Fits the search use case's observer port structurally (observability imports no subsystem). */
export function searchMetrics(
  registry: client.Registry,
): (kind: 'documents' | 'titles', seconds: number, windowFull: boolean) => void {
  const duration = new client.Histogram({
    name: 'search_query_duration_seconds',
    help: 'Time to answer one search (index query and snippets), by kind',
    labelNames: ['kind'],
    buckets: SEARCH_BUCKETS,
    registers: [registry],
  });
  const windowFull = new client.Counter({
    name: 'search_window_full_total',
    help: 'Full-text searches that matched more documents than one query ranks',
    registers: [registry],
  });
  // Zero from the start, so rate() sees the first one after a restart.
  windowFull.inc(0);
  return (kind, seconds, full) => {
    duration.observe({ kind }, seconds);
    if (full) windowFull.inc();
  };
}
