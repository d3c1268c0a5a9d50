/**
 * Export rules that need no data: monthly quotas per plan, the calendar-month window they count
 * in, who administers a workspace's exports, and the retry schedule. Pure; the use cases apply them.
 */
import { Conflict, DomainError, Forbidden, NotFound, RateLimited } from './errors.ts';
import type { Plan, WorkspaceRole } from './roles.ts';
import { workspaceAtLeast } from './roles.ts';

/** Exports a workspace may request per calendar month (UTC); `null` = unlimited. */
export type ExportQuotas = Record<Plan, number | null>;

/** First instant of the UTC calendar month holding `now`, and of the next one (when the quota resets). */
export function quotaMonth(now: Date): { start: Date; resetsAt: Date } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const resetsAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { start, resetsAt };
}

export class ExportQuotaExceeded extends RateLimited {
  constructor(plan: Plan, limit: number, now: Date) {
    const { resetsAt } = quotaMonth(now);
    super(
      `the ${plan} plan allows ${limit} exports per calendar month (UTC) and this workspace has used them all; ` +
        `the quota resets at ${resetsAt.toISOString()}`,
      (resetsAt.getTime() - now.getTime()) / 1000,
    );
  }
}

/** A finished export whose file was cleaned up after its retention time. */
export class ExportGone extends DomainError {
  readonly status = 410;
  readonly code = 'export_expired';
}

/**
 * Workspace admins and owners administer the exports of their workspace (dead-letter list,
 * retry). Outsiders learn nothing (404); members and guests are told they lack the role (403).
 */
export function authorizeExportAdmin(role: WorkspaceRole | null, notFound: string): void {
  if (role === null) throw new NotFound(notFound);
  if (!workspaceAtLeast(role, 'admin')) {
    throw new Forbidden(`your workspace role (${role}) does not allow administering exports`);
  }
}

export function assertRetryable(status: string): void {
  if (status !== 'dead') throw new Conflict(`only dead-lettered exports can be retried; this one is ${status}`);
}

/**
 * Wait before retry number `retry` (1-based): base, 2×base, 4×base… times a jitter factor in
 * [1, 1 + jitter), so workers that failed together do not all come back in the same instant.
 */
export function retryDelayMs(retry: number, baseMs: number, random = Math.random(), jitter = 0.25): number {
  return Math.round(baseMs * 2 ** Math.max(0, retry - 1) * (1 + jitter * random));
}

/**
 * [E10] Characters of comment text (bodies and quotes) one export prints at most: about 300
 * pages of comments. A document's threads are bounded in number, not in total text.
 */
export const EXPORT_COMMENT_CHARS_MAX = 1_000_000;
