/** `workspaces set-plan` arguments → a checked plan change, or what is wrong with them. */
import { MAX_RATE_LIMIT_PER_SECOND } from '../domain/rate-limits.ts';
import { PLANS, type Plan } from '../domain/roles.ts';
import type { PlanChange } from './plans.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parsePlanChange(
  args: string[],
  rateLimit: string | undefined,
): { workspaceId: string; change: PlanChange } | { problem: string } {
  const [workspaceId, plan, ...extra] = args;
  if (!workspaceId || !plan) return { problem: 'set-plan needs a workspace id and a plan' };
  if (extra.length > 0) return { problem: `unexpected arguments: ${extra.join(' ')}` };
  if (!UUID.test(workspaceId)) return { problem: `not a workspace id: ${workspaceId}` };
  if (!(PLANS as readonly string[]).includes(plan)) return { problem: `plan must be one of ${PLANS.join(', ')}` };
  const change: PlanChange = { plan: plan as Plan };
  if (rateLimit !== undefined) {
    if (rateLimit === 'none') change.rateLimitPerSecond = null;
    else {
      const n = Number(rateLimit);
      if (!Number.isInteger(n) || n < 1 || n > MAX_RATE_LIMIT_PER_SECOND) {
        return { problem: `--rate-limit must be an integer from 1 to ${MAX_RATE_LIMIT_PER_SECOND}, or none` };
      }
      change.rateLimitPerSecond = n;
    }
  }
  return { workspaceId: workspaceId.toLowerCase(), change };
}
