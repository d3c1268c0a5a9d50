/**
 * The operator's use case on plans: set a workspace's plan and its request-rate override
 * (`workspaces.rate_limit_per_second`). Called by the operator API and by the CLI
 * (`collab-docs workspaces set-plan`), never on behalf of a workspace member [P6].
 */

import { NotFound } from '../domain/errors.ts';
import type { Plan } from '../domain/roles.ts';
import type { Sql } from './ports.ts';

export type WorkspacePlanView = {
  id: string;
  name: string;
  plan: Plan;
  /** Requests per second for this workspace instead of its plan's; null = the plan's. */
  rateLimitPerSecond: number | null;
  updatedAt: string;
};

export type PlanChange = {
  plan: Plan;
  /** Absent: unchanged; null: back to the plan's limit. */
  rateLimitPerSecond?: number | null;
};

export async function setWorkspacePlan(db: Sql, workspaceId: string, change: PlanChange): Promise<WorkspacePlanView> {
  const row = await db
    .updateTable('workspaces')
    .set({
      plan: change.plan,
      ...(change.rateLimitPerSecond !== undefined && { rate_limit_per_second: change.rateLimitPerSecond }),
      updated_at: new Date(),
    })
    .where('id', '=', workspaceId)
    .returning(['id', 'name', 'plan', 'rate_limit_per_second', 'updated_at'])
    .executeTakeFirst();
  if (!row) throw new NotFound('workspace not found');
  return {
    id: row.id,
    name: row.name,
    plan: row.plan,
    rateLimitPerSecond: row.rate_limit_per_second,
    updatedAt: row.updated_at.toISOString(),
  };
}
