/**
 * "Which documents may this person open?" as SQL, for the queries that filter many documents at
 * once (lists, search). The role sets come from the domain's effectiveAccess, so lists and search
 * follow the same rule as a single document's check [P1] [P7] [P8]: workspace roles with full access
 * read everything, members read what is not restricted (and what they own), guests read what they
 * own, and anyone reads what is shared with them.
 */
import { type RawBuilder, sql } from 'kysely';
import { atLeast, effectiveAccess, type GeneralAccess, WORKSPACE_ROLES } from '../domain/roles.ts';

const reads = (generalAccess: GeneralAccess, isOwner: boolean) =>
  WORKSPACE_ROLES.filter((r) => atLeast(effectiveAccess(r, null, { generalAccess, isOwner }), 'viewer'));

/** Roles that read every document of their workspace, restricted ones included (admin, owner). */
export const FULL_ACCESS_ROLES = reads('restricted', false);
/** Roles that read a workspace's documents unless they are restricted (member and up). */
export const GENERAL_ACCESS_ROLES = reads('view', false);
/** Roles in which owning a document is what lets one read it (guest). */
export const OWNER_ONLY_ROLES = reads('restricted', true).filter((r) => !GENERAL_ACCESS_ROLES.includes(r));

const roles = (list: readonly string[]) => sql.join(list.map((r) => sql.lit(r)));
const scoped = (column: string, workspaceId: string | undefined) =>
  workspaceId ? sql`and ${sql.ref(column)} = ${workspaceId}` : sql``;

/** The workspaces (optionally one) where the actor holds one of `list`, as an array of ids. */
export function workspacesWithRole(actor: string, list: readonly string[], workspaceId?: string): RawBuilder<unknown> {
  if (list.length === 0) return sql`array[]::uuid[]`;
  return sql`array(select workspace_id from workspace_members
    where user_id = ${actor} and role in (${roles(list)}) ${scoped('workspace_id', workspaceId)})`;
}

/** What readableReach resolves: the actor's ways in, as literal ids. */
export type Reach = {
  /** Workspaces whose every document the actor reads (admin, owner). */
  full: string[];
  /** Workspaces whose documents the actor reads unless restricted (member). */
  general: string[];
  /** Restricted documents of `general` workspaces the actor does not own. */
  hidden: string[];
  /** Documents reached one by one: person shares, owned as a guest. */
  direct: string[];
};

/**
 * Who may open which documents, resolved first into lists of ids (one statement), for queries that
 * cut a window per way in (search): each workspace becomes its own UNION ALL arm with the literal
 * workspace id, so the planner knows how big it is and picks the GIN index for a rare word or the
 * newest-first walk for a common one, and no arm re-checks words on rows another arm brought.
 */
export function readableReach(actor: string, workspaceId?: string): RawBuilder<Reach>;
export function readableReach(
  actor: string,
  workspaceId: string | undefined,
  comments: 'with comments',
): RawBuilder<Reach & CommentReach>;
export function readableReach(
  actor: string,
  workspaceId?: string,
  comments?: 'with comments',
): RawBuilder<Reach | (Reach & CommentReach)> {
  const general = workspacesWithRole(
    actor,
    GENERAL_ACCESS_ROLES.filter((r) => !FULL_ACCESS_ROLES.includes(r)),
    workspaceId,
  );
  return sql<Reach>`select ${workspacesWithRole(actor, FULL_ACCESS_ROLES, workspaceId)}::text[] as "full",
    ${general}::text[] as general,
    array(select rd.id from documents rd
      where rd.workspace_id = any(${general}) and rd.general_access = 'restricted'
        and rd.owner_id is distinct from ${actor})::text[] as hidden,
    (${sharedWith(actor)} || ${ownedWithoutGeneralAccess(actor, workspaceId)})::text[] as direct
    ${comments ? sql`, ${commentReachColumns(actor, general, workspaceId)}` : sql``}`;
}

/** What commentsReadableIn needs besides the Reach, resolved in the same statement. */
export type CommentReach = {
  /** Workspaces that let viewers browse, among those the actor belongs to or has a share in. */
  browsing: string[];
  /** Documents a member of their workspace only views, in workspaces whose viewers do not browse; null: too many to pass. */
  viewOnly: string[] | null;
  /** Documents shared with the actor as commenter or editor. */
  commenting: string[];
  /** Documents the actor owns, in workspaces they belong to; null: too many to pass. */
  owned: string[] | null;
};

/**
 * Ids of a possibly long list (what one person owns) passed back as a parameter, at most; beyond
 * it the search statement keeps that list as its subquery (a few hundred ids cost less to send
 * than a subquery costs to plan, a prolific author's ten thousand do not).
 */
export const MAX_PASSED_IDS = 500;

/** The arrays of commentsReadableBy as columns (`browsing`, `viewOnly`, ...); `members` is the reach's `general`. */
function commentReachColumns(actor: string, members: RawBuilder<unknown>, workspaceId?: string): RawBuilder<unknown> {
  const a = commentArrays(actor, members, workspaceId);
  const bounded = (ids: RawBuilder<unknown>) =>
    sql`(select case when cardinality(x) <= ${sql.lit(MAX_PASSED_IDS)} then x end from (select ${ids}::text[] as x) b)`;
  return sql`${a.browsing}::text[] as browsing, ${bounded(a.viewOnly)} as "viewOnly",
    ${a.commenting}::text[] as commenting, ${bounded(a.owned)} as owned`;
}

function commentArrays(actor: string, members: RawBuilder<unknown>, workspaceId?: string) {
  const scoped = workspaceId ? sql`and ow.id = ${workspaceId}` : sql``;
  return {
    browsing: sql`array(select ow.id from workspaces ow where ow.viewers_browse ${scoped}
    and (ow.id in (select workspace_id from workspace_members where user_id = ${actor})
      or ow.id in (select sd.workspace_id from document_shares ss join documents sd on sd.id = ss.document_id
        where ss.user_id = ${actor})))`,
    // A member only views these: general access "view" (or restricted, then shared as viewer) in a workspace whose viewers do not browse.
    viewOnly: sql`array(select vd.id from documents vd join workspaces vw on vw.id = vd.workspace_id
    where vd.workspace_id = any(${members}) and not vw.viewers_browse and vd.general_access in ('view', 'restricted')
      and vd.owner_id is distinct from ${actor})`,
    commenting: sql`array(select document_id from document_shares
    where user_id = ${actor} and role in ('commenter', 'editor'))`,
    owned: sql`array(select od.id from documents od
    join workspace_members om on om.workspace_id = od.workspace_id and om.user_id = ${actor}
    where od.owner_id = ${actor})`,
  };
}

/** `column = any(ids)` over literal ids; `false` for none (nothing left for the planner to plan). */
function anyOf(column: RawBuilder<unknown>, ids: readonly string[]): RawBuilder<boolean> {
  return ids.length ? sql<boolean>`${column} = any(${ids}::uuid[])` : sql<boolean>`false`;
}

/**
 * Whose comments the actor may read, for search over many documents (docs/spec/comments.md [C1]
 * [C8]): policy.ts's mayBrowse stated as a filter. Readers of the document who are in a workspace
 * that lets viewers browse, or who can comment on it anyway: a full-access role, a member where
 * its general access is comment or edit, a commenter or editor share, its owner. Over a reach
 * already resolved (readableReach with comments), every array is a parameter: the search statement
 * plans no subquery for it (written with the subqueries inline, the rule was about ten InitPlans —
 * a large part of search's 3–4.5 ms of planning per request, issue 18).
 */
export function commentsReadableIn(
  actor: string,
  reach: Reach & CommentReach,
  columns: { workspace: string; id: string },
  workspaceId?: string,
): RawBuilder<boolean> {
  const w = sql.ref(columns.workspace);
  const id = sql.ref(columns.id);
  // Lists too long to have been passed back stay subqueries (members: the reach's, as literals).
  const inline = commentArrays(actor, sql`${reach.general}::uuid[]`, workspaceId);
  const viewOnly = reach.viewOnly ?? inline.viewOnly;
  const notViewOnly =
    reach.viewOnly === null || reach.viewOnly.length ? sql`and ${id} <> all(${viewOnly}::uuid[])` : sql``;
  const owned = reach.owned === null ? sql<boolean>`${id} = any(${inline.owned})` : anyOf(id, reach.owned);
  const notHidden = reach.hidden.length ? sql`and ${id} <> all(${reach.hidden}::uuid[])` : sql``;
  const general = reach.general.length ? sql`(${w} = any(${reach.general}::uuid[]) ${notHidden})` : sql`false`;
  const members = reach.general.length ? sql`(${w} = any(${reach.general}::uuid[]) ${notViewOnly})` : sql`false`;
  return sql<boolean>`((${anyOf(w, reach.full)} or ${general} or ${anyOf(id, reach.direct)})
    and (${anyOf(w, reach.browsing)} or ${anyOf(w, reach.full)} or ${members}
      or ${anyOf(id, reach.commenting)} or ${owned}))`;
}

/** Documents shared with the actor by a person share. */
export const sharedWith = (actor: string): RawBuilder<unknown> =>
  sql`array(select document_id from document_shares where user_id = ${actor})`;

/** Documents the actor owns in workspaces where owning is their only way in (as a guest) [P8]. */
export function ownedWithoutGeneralAccess(actor: string, workspaceId?: string): RawBuilder<unknown> {
  if (OWNER_ONLY_ROLES.length === 0) return sql`array[]::uuid[]`;
  return sql`array(select od.id from documents od
    join workspace_members om on om.workspace_id = od.workspace_id and om.user_id = ${actor}
    where od.owner_id = ${actor} and om.role in (${roles(OWNER_ONLY_ROLES)}) ${scoped('od.workspace_id', workspaceId)})`;
}
