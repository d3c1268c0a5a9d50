/** Turns two /metrics scrapes into what the bench reports: cache hit ratios, route latency, pool waits. */
import { delta, type Sample, sum } from './prometheus.ts';

export const ratio = (a: number, b: number, digits = 4) =>
  b > 0 ? Math.round((a / b) * 10 ** digits) / 10 ** digits : null;

export function permissionStats(before: Sample[], after: Sample[]) {
  const hits = delta(before, after, 'permission_cache_lookups_total', { result: 'hit' });
  const misses = delta(before, after, 'permission_cache_lookups_total', { result: 'miss' });
  const byKind = Object.fromEntries(
    ['document', 'workspace_role', 'share'].map((kind) => {
      const h = delta(before, after, 'permission_cache_lookups_total', { kind, result: 'hit' });
      const m = delta(before, after, 'permission_cache_lookups_total', { kind, result: 'miss' });
      return [kind, { hits: h, misses: m, hitRatio: ratio(h, h + m) }];
    }),
  );
  return { hits, misses, hitRatio: ratio(hits, hits + misses), byKind };
}

/** Document rows served from memory (GET /documents/:id) [P4.1]. */
export function documentCacheStats(before: Sample[], after: Sample[]) {
  const hits = delta(before, after, 'document_cache_lookups_total', { result: 'hit' });
  const misses = delta(before, after, 'document_cache_lookups_total', { result: 'miss' });
  return { hits, misses, hitRatio: ratio(hits, hits + misses) };
}

/** Server-side mean latency per route (the app's own histogram), excluding the scrapes. */
export function routeMeans(before: Sample[], after: Sample[]) {
  const out: Record<string, { count: number; meanMs: number | null }> = {};
  for (const s of after.filter((x) => x.name === 'http_request_duration_seconds_count')) {
    if (s.labels.route === '/metrics') continue;
    const where = { method: s.labels.method ?? '', route: s.labels.route ?? '' };
    const count = delta(before, after, 'http_request_duration_seconds_count', where);
    const seconds = delta(before, after, 'http_request_duration_seconds_sum', where);
    if (count > 0) out[`${where.method} ${where.route}`] = { count, meanMs: ratio(seconds * 1000, count, 3) };
  }
  return out;
}

export function apiPool(before: Sample[], after: Sample[]) {
  const waits = delta(before, after, 'db_pool_acquire_wait_seconds_count', { pool: 'api' });
  const waitSeconds = delta(before, after, 'db_pool_acquire_wait_seconds_sum', { pool: 'api' });
  return {
    acquisitions: waits,
    meanAcquireWaitMs: ratio(waitSeconds * 1000, waits, 3),
    timeouts: delta(before, after, 'db_pool_acquire_timeouts_total', { pool: 'api' }),
    max: sum(after, 'db_pool_size_max', { pool: 'api' }),
  };
}

export function serverSide(before: Sample[], after: Sample[]) {
  const non2xxByRoute: Record<string, number> = {};
  for (const s of after.filter((x) => x.name === 'http_requests_total' && !x.labels.status?.startsWith('2'))) {
    const key = `${s.labels.method} ${s.labels.route} ${s.labels.status}`;
    const n = s.value - sum(before, 'http_requests_total', s.labels);
    if (n > 0) non2xxByRoute[key] = n;
  }
  return {
    meanMsByRoute: routeMeans(before, after),
    non2xxByRoute,
    dbPoolApi: apiPool(before, after),
    cpuSeconds: Math.round(delta(before, after, 'process_cpu_seconds_total') * 100) / 100,
  };
}
