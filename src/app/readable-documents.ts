/**
 * "Which documents may this person open?" as SQL, for the queries that filter many documents at
 * once (lists, search). The role sets come from the domain's effectiveAccess, so lists and search
 * follow the same rule as a single document's check [P1] [P7] [P8]: workspace roles with full access
 * read everything, members read what is not restricted (and what they own), guests read what they
 * own, and anyone reads what is shared with them.
 */
import { type RawBuilder, sql } from 'kysely';
import { atLeast, effectiveAccess, type GeneralAccess, WORKSPACE_ROLES } from '../domain/roles.ts';
import { PREPARED, type Sql } from './ports.ts';

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
  /**
   * The four lists that decide whose comments the actor reads (commentsReadableIn), resolved with
   * the reach so the search statement plans none of them; a list longer than
   * MAX_LITERAL_COMMENT_IDS (or absent) stays a subquery of the search statement.
   */
  comments?: CommentLists;
};
type CommentLists = Record<'browsing' | 'viewOnly' | 'commenting' | 'owned', string[] | null>;

/** Past this many ids a comment list is left to the search statement (a subquery), not sent as a literal. */
export const MAX_LITERAL_COMMENT_IDS = 1_000;

/**
 * Who may open which documents, resolved first into lists of ids (one statement), for queries that
 * cut a window per way in (search): each workspace becomes its own UNION ALL arm with the literal
 * workspace id, so the planner knows how big it is and picks the GIN index for a rare word or the
 * newest-first walk for a common one, and no arm re-checks words on rows another arm brought.
 */
export function readableReach(actor: string, workspaceId?: string): RawBuilder<Reach> {
  const general = workspacesWithRole(
    actor,
    GENERAL_ACCESS_ROLES.filter((r) => !FULL_ACCESS_ROLES.includes(r)),
    workspaceId,
  );
  const lists = commentArrays(actor, general, workspaceId, MAX_LITERAL_COMMENT_IDS + 1);
  return sql<Reach>`select ${workspacesWithRole(actor, FULL_ACCESS_ROLES, workspaceId)}::text[] as "full",
    ${general}::text[] as general,
    array(select rd.id from documents rd
      where rd.workspace_id = any(${general}) and rd.general_access = 'restricted'
        and rd.owner_id is distinct from ${actor})::text[] as hidden,
    (${sharedWith(actor)} || ${ownedWithoutGeneralAccess(actor, workspaceId)})::text[] as direct,
    ${lists.browsing}::text[] as comment_browsing, ${lists.viewOnly}::text[] as comment_view_only,
    ${lists.commenting}::text[] as comment_commenting, ${lists.owned}::text[] as comment_owned`;
}

/** Resolves an actor's reach (everything, or one workspace): the ReachCache, or loadReach itself. */
export type ResolveReach = (actor: string, workspaceId: string | undefined) => Promise<Reach>;

/** The reach read from PostgreSQL: one prepared statement (its text depends only on the scope given or not). */
export async function loadReach(db: Sql, actor: string, workspaceId: string | undefined): Promise<Reach> {
  type Row = Omit<Reach, 'comments'> & Record<`comment_${'browsing' | 'view_only' | 'commenting' | 'owned'}`, string[]>;
  const r = (await sql<Row>`${readableReach(actor, workspaceId)} ${PREPARED}`.execute(db)).rows[0];
  if (!r) return { full: [], general: [], hidden: [], direct: [] };
  const literal = (ids: string[]) => (ids.length > MAX_LITERAL_COMMENT_IDS ? null : ids);
  return {
    full: r.full,
    general: r.general,
    hidden: r.hidden,
    direct: r.direct,
    comments: {
      browsing: literal(r.comment_browsing),
      viewOnly: literal(r.comment_view_only),
      commenting: literal(r.comment_commenting),
      owned: literal(r.comment_owned),
    },
  };
}

/** The actor's own rows that decide whose comments they read, as array subqueries (of at most `limit` ids). */
function commentArrays(actor: string, members: RawBuilder<unknown>, workspaceId?: string, limit?: number) {
  const scoped = workspaceId ? sql`and ow.id = ${workspaceId}` : sql``;
  const cap = limit === undefined ? sql`` : sql`limit ${sql.lit(limit)}`;
  return {
    browsing: sql`array(select ow.id from workspaces ow where ow.viewers_browse ${scoped}
    and (ow.id in (select workspace_id from workspace_members where user_id = ${actor})
      or ow.id in (select sd.workspace_id from document_shares ss join documents sd on sd.id = ss.document_id
        where ss.user_id = ${actor})) ${cap})`,
    // A member only views these: general access "view" (or restricted, then shared as viewer) in a workspace whose viewers do not browse.
    viewOnly: sql`array(select vd.id from documents vd join workspaces vw on vw.id = vd.workspace_id
    where vd.workspace_id = any(${members}) and not vw.viewers_browse and vd.general_access in ('view', 'restricted')
      and vd.owner_id is distinct from ${actor} ${cap})`,
    commenting: sql`array(select document_id from document_shares
    where user_id = ${actor} and role in ('commenter', 'editor') ${cap})`,
    owned: sql`array(select od.id from documents od
    join workspace_members om on om.workspace_id = od.workspace_id and om.user_id = ${actor}
    where od.owner_id = ${actor} ${cap})`,
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
 * its general access is comment or edit, a commenter or editor share, its owner. Over the reach
 * the search already resolved (readableReach), so readability, full-access and member workspaces
 * are parameters: written all inline the rule was eleven InitPlans to plan on every search (issue
 * 18). The four lists below are resolved with the reach too, which the ReachCache keeps, so a
 * search plans none of them (0.6 of the search statement's 1.4 ms of planning, bench:api); a list
 * longer than MAX_LITERAL_COMMENT_IDS, or a reach loaded without them, keeps it as a subquery.
 */
export function commentsReadableIn(
  actor: string,
  reach: Reach,
  columns: { workspace: string; id: string },
  workspaceId?: string,
): RawBuilder<boolean> {
  const w = sql.ref(columns.workspace);
  const id = sql.ref(columns.id);
  const members = sql`${reach.general}::uuid[]`;
  const queried = commentArrays(actor, members, workspaceId);
  // Resolved with the reach (cached, spec [P11]): literals, nothing for the planner to plan.
  const list = (name: keyof CommentLists) => {
    const ids = reach.comments?.[name];
    return ids ? sql`${ids}::uuid[]` : queried[name];
  };
  const [browsing, viewOnly, commenting, owned] = [
    list('browsing'),
    list('viewOnly'),
    list('commenting'),
    list('owned'),
  ];
  const hidden = reach.hidden.length ? sql`and ${id} <> all(${reach.hidden}::uuid[])` : sql``;
  const general = reach.general.length ? sql`(${w} = any(${members}) ${hidden})` : sql`false`;
  const member = reach.general.length ? sql`(${w} = any(${members}) and ${id} <> all(${viewOnly}))` : sql`false`;
  return sql<boolean>`((${anyOf(w, reach.full)} or ${general} or ${anyOf(id, reach.direct)})
    and (${w} = any(${browsing}) or ${anyOf(w, reach.full)} or ${member}
      or ${id} = any(${commenting}) or ${id} = any(${owned})))`;
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
