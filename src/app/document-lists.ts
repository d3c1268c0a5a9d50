/**
 * The document lists a person browses (docs/spec/home.md): one workspace's documents, or everything
 * they can open across workspaces ("Home": recent, shared with me, starred), in one query builder
 * with the orders, filters and keyset pages of GET /workspaces/{id}/documents and GET /documents.
 * Lists read PostgreSQL, not the permission cache: a share removed a moment ago is gone from the
 * very next list [H1]. Who can open what comes from src/domain/policy.ts (the roles that may list a
 * workspace's documents, a person share, the trash hidden).
 */
import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import { authorizeWorkspace, canOnDocument } from '../domain/policy.ts';
import {
  type DocumentAccess,
  effectiveAccess,
  type GeneralAccess,
  type ShareRole,
  type WorkspaceRole,
} from '../domain/roles.ts';
import type { DocumentView, Page } from './documents.ts';
import {
  type DocumentOrder,
  decodeCursor,
  decodeInstantCursor,
  decodeTitleCursor,
  encodeCursor,
  encodeInstantCursor,
  encodeTitleCursor,
  MICROSECOND_PATTERN,
} from './list-cursors.ts';
import type { PermissionCache } from './permissions.ts';
import { PREPARED, type Sql } from './ports.ts';
import {
  FULL_ACCESS_ROLES,
  GENERAL_ACCESS_ROLES,
  OWNER_ONLY_ROLES,
  ownedWithoutGeneralAccess,
  sharedWith,
  workspacesWithRole,
} from './readable-documents.ts';

export type DocumentListItem = DocumentView & {
  workspaceName: string;
  createdByName: string;
  starred: boolean;
  /** The caller's person share, with who made it and when; null without one. */
  share: { role: ShareRole; sharedAt: string; sharedBy: { userId: string; displayName: string } | null } | null;
  /** When the caller last opened it (order=opened only). */
  openedAt?: string;
};

export type ListFilters = {
  /** Documents created by this user. */
  owner?: string;
  /** Only documents shared with the caller by a person share in workspaces where they are not a member [H3]. */
  sharedWithMe?: boolean;
  /** Only documents the caller starred [H4]. */
  starred?: boolean;
};
export type ListOptions = ListFilters & { limit: number; cursor?: string; order: DocumentOrder };

type ListRow = {
  id: string;
  workspace_id: string;
  title: string;
  created_by: string;
  owner_id: string | null;
  general_access: GeneralAccess;
  created_at: Date;
  updated_at: Date;
  updated_key: string;
  workspace_name: string;
  created_by_name: string;
  workspace_role: WorkspaceRole | null;
  share: ShareRole | null;
  shared_at: Date | null;
  shared_by: string | null;
  shared_by_name: string | null;
  starred: boolean;
  opened_at: Date | null;
  opened_key: string | null;
};

export class DocumentLists {
  private readonly db: Sql;
  private readonly permissions: PermissionCache;

  constructor(db: Sql, permissions: PermissionCache) {
    this.db = db;
    this.permissions = permissions;
  }

  /** One workspace's documents the caller may open (404 to outsiders, as before). */
  async inWorkspace(actor: string, workspaceId: string, opts: ListOptions): Promise<Page<DocumentListItem>> {
    const role = await this.permissions.workspaceRole(actor, workspaceId);
    authorizeWorkspace(role, 'workspace.read');
    return this.query(actor, opts, workspaceId);
  }

  /** Every document the caller may open, in every workspace [H1]. */
  async everywhere(actor: string, opts: ListOptions): Promise<Page<DocumentListItem>> {
    return this.query(actor, opts);
  }

  private async query(actor: string, opts: ListOptions, workspaceId?: string): Promise<Page<DocumentListItem>> {
    // Decoded before the query: a forged cursor is a 400, never an SQL error.
    const after = opts.cursor ? decodeFor(opts.order, opts.cursor) : undefined;
    // Names and the star are scalar subqueries, evaluated for the page's rows only: each join
    // the planner must order costs planning time on every request, and planning was most of a
    // workspace list's PostgreSQL time (1.3 ms of 1.5 ms warm; issue 18).
    // In one workspace the caller's role is one row, read once (an InitPlan) instead of a join.
    const role =
      workspaceId !== undefined
        ? sql<WorkspaceRole | null>`(select wm.role from workspace_members wm
            where wm.workspace_id = ${workspaceId} and wm.user_id = ${actor})`
        : sql<WorkspaceRole | null>`m.role`;
    const starredBy = sql<boolean>`exists(select from document_stars st where st.document_id = d.id and st.user_id = ${actor})`;
    let q = this.db
      .selectFrom('documents as d')
      .$if(workspaceId === undefined, (b) =>
        b.leftJoin('workspace_members as m', (j) =>
          j.onRef('m.workspace_id', '=', 'd.workspace_id').on('m.user_id', '=', actor),
        ),
      )
      .leftJoin('document_shares as s', (j) => j.onRef('s.document_id', '=', 'd.id').on('s.user_id', '=', actor))
      .select([
        'd.id',
        'd.workspace_id',
        'd.title',
        'd.created_by',
        'd.owner_id',
        'd.general_access',
        'd.created_at',
        'd.updated_at',
        's.role as share',
        's.created_at as shared_at',
        's.shared_by',
      ])
      .select([
        sql<string>`(select w.name from workspaces w where w.id = ${workspaceId ?? sql.ref('d.workspace_id')})`.as(
          'workspace_name',
        ),
        sql<string>`(select u.display_name from users u where u.id = d.created_by)`.as('created_by_name'),
        sql<string | null>`(select sb.display_name from users sb where sb.id = s.shared_by)`.as('shared_by_name'),
        role.as('workspace_role'),
        starredBy.as('starred'),
      ])
      .select(sql<string>`to_char(d.updated_at at time zone 'UTC', ${MICROSECOND_PATTERN})`.as('updated_key'))
      .where('d.trashed_at', 'is', null)
      // A literal: the limit is part of the statement's text, so a prepared plan knows it.
      .limit(sql.lit(opts.limit + 1));
    if (opts.order === 'opened') {
      q = q
        .innerJoin('document_visits as v', (j) => j.onRef('v.document_id', '=', 'd.id').on('v.user_id', '=', actor))
        .select(['v.visited_at as opened_at'])
        .select(sql<string>`to_char(v.visited_at at time zone 'UTC', ${MICROSECOND_PATTERN})`.as('opened_key'));
    } else {
      q = q.select([sql<Date | null>`null`.as('opened_at'), sql<string | null>`null`.as('opened_key')]);
    }
    // What the caller may open [H1] [P7]: a workspace's documents where their role lists them (all
    // of them for admins and owners; those not restricted, or their own, for members), what they
    // own as a guest, and whatever is shared with them. Stated with arrays of ids so PostgreSQL
    // reads the caller's memberships and shares by index rather than testing every document.
    const memberWorkspaces = workspacesWithRole(actor, GENERAL_ACCESS_ROLES);
    const fullWorkspaces = workspacesWithRole(actor, FULL_ACCESS_ROLES);
    const opens = (t: 'd' | 'd2', w: RawBuilder<unknown>) =>
      sql`(${w} = any(${fullWorkspaces}) or ${sql.ref(`${t}.general_access`)} <> 'restricted'
        or ${sql.ref(`${t}.owner_id`)} = ${actor})`;
    const keyed = opts.order !== 'opened' && !opts.sharedWithMe && !opts.starred;
    // Ordered by a document column: each workspace's first page by its own index (workspace_id,
    // order key, id), merged below — a page costs a few index scans, not a sort of everything
    // the caller can open (at 20,000 readable documents: 55 ms → a few ms).
    const memberOf = keyed
      ? sql<SqlBool>`d.id = any(array(select top.id from unnest(${memberWorkspaces}) as mw(wid)
          cross join lateral (select d2.id from documents d2
            where d2.workspace_id = mw.wid and d2.trashed_at is null and ${opens('d2', sql`mw.wid`)}
              ${opts.owner !== undefined ? sql`and d2.created_by = ${opts.owner}` : sql``}
              ${keysetOf('d2', opts.order, after)}
            order by ${orderOf('d2', opts.order)} limit ${opts.limit + 1}) top))`
      : sql<SqlBool>`(d.workspace_id = any(${memberWorkspaces}) and ${opens('d', sql`d.workspace_id`)})`;
    const shared = sql<SqlBool>`d.id = any(${sharedWith(actor)})`;
    // Owned as a guest: in one workspace that is the role read above, no query of its own.
    const owned =
      workspaceId !== undefined
        ? OWNER_ONLY_ROLES.length === 0
          ? sql<SqlBool>`false`
          : sql<SqlBool>`(${role} in (${roles(OWNER_ONLY_ROLES)}) and d.owner_id = ${actor})`
        : sql<SqlBool>`d.id = any(${ownedWithoutGeneralAccess(actor)})`;
    // Through the workspace, not a share: what "shared with me" leaves out.
    const throughWorkspace = sql<SqlBool>`(${role} in (${roles(GENERAL_ACCESS_ROLES)})
      and (${role} in (${roles(FULL_ACCESS_ROLES)}) or d.general_access <> 'restricted' or d.owner_id = ${actor}))`;
    if (workspaceId !== undefined) {
      q = q.where('d.workspace_id', '=', workspaceId);
      q = q.where((eb) =>
        eb.or([throughWorkspace as Expression<SqlBool>, owned as Expression<SqlBool>, eb('s.role', 'is not', null)]),
      );
    } else {
      q = q.where((eb) =>
        eb.or([memberOf as Expression<SqlBool>, shared as Expression<SqlBool>, owned as Expression<SqlBool>]),
      );
    }
    if (opts.owner !== undefined) q = q.where('d.created_by', '=', opts.owner);
    if (opts.sharedWithMe) {
      q = q.where('s.role', 'is not', null).where(sql<SqlBool>`not coalesce(${throughWorkspace}, false)`);
    }
    if (opts.starred) q = q.where(starredBy);
    q = q.where(sql<SqlBool>`true ${keysetOf('d', opts.order, after)}`).orderBy(orderOf('d', opts.order));
    // One workspace's list has a stable text (values are parameters): prepared, it is parsed once
    // per connection and, with a generic plan, planned once — planning was ~0.55 of its ~0.85 ms
    // of PostgreSQL time (issue 18). The cross-workspace list stays planned per request.
    const rows = (await (workspaceId !== undefined ? q.modifyEnd(PREPARED) : q).execute()) as ListRow[];
    const more = rows.length > opts.limit;
    const page = more ? rows.slice(0, opts.limit) : rows;
    const last = page.at(-1);
    return {
      items: page.map((r) => item(actor, r)),
      nextCursor: more && last ? cursorOf(opts.order, last) : null,
    };
  }
}

type After = ReturnType<typeof decodeFor>;

const roles = (list: readonly string[]) => sql.join(list.map((r) => sql.lit(r)));

/** The order of a list, on the documents table aliased `t` (the visit's time for `opened`). */
function orderOf(t: 'd' | 'd2', order: DocumentOrder) {
  switch (order) {
    case 'created':
      return sql`${sql.ref(`${t}.created_at`)} desc, ${sql.ref(`${t}.id`)} desc`;
    case 'updated':
      return sql`${sql.ref(`${t}.updated_at`)} desc, ${sql.ref(`${t}.id`)} desc`;
    case 'opened':
      return sql`v.visited_at desc, ${sql.ref(`${t}.id`)} desc`;
    case 'title':
      return sql`${sql.ref(`${t}.title`)}, ${sql.ref(`${t}.id`)}`;
  }
}

/**
 * "After the cursor" as one row comparison (`and (key, id) < (…)`): an index condition on
 * (workspace_id, key, id); the equivalent OR was a filter that read every newer row (issue 18).
 */
function keysetOf(t: 'd' | 'd2', order: DocumentOrder, after: After | undefined) {
  if (!after) return sql``;
  const id = sql.ref(`${t}.id`);
  if ('createdAt' in after) return sql`and (${sql.ref(`${t}.created_at`)}, ${id}) < (${after.createdAt}, ${after.id})`;
  if ('title' in after) return sql`and (${sql.ref(`${t}.title`)}, ${id}) > (${after.title}, ${after.id}::uuid)`;
  const key = order === 'opened' ? sql`v.visited_at` : sql.ref(`${t}.updated_at`);
  return sql`and (${key}, ${id}) < (${after.at}::timestamptz, ${after.id})`;
}

function decodeFor(order: DocumentOrder, cursor: string) {
  switch (order) {
    case 'created':
      return decodeCursor(cursor);
    case 'title':
      return decodeTitleCursor(cursor);
    default:
      return decodeInstantCursor(order, cursor);
  }
}

function cursorOf(order: DocumentOrder, r: ListRow): string {
  switch (order) {
    case 'created':
      return encodeCursor(r.created_at, r.id);
    case 'updated':
      return encodeInstantCursor('updated', r.updated_key, r.id);
    case 'opened':
      return encodeInstantCursor('opened', r.opened_key ?? '', r.id);
    case 'title':
      return encodeTitleCursor(r.title, r.id);
  }
}

function item(actor: string, r: ListRow): DocumentListItem {
  const isOwner = r.owner_id === actor;
  const access: DocumentAccess = effectiveAccess(r.workspace_role, r.share, {
    generalAccess: r.general_access,
    isOwner,
  });
  const subject = { access, isOwner, workspaceRole: r.workspace_role };
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    title: r.title,
    createdBy: r.created_by,
    ownerId: r.owner_id,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    access,
    generalAccess: r.general_access,
    trashedAt: null,
    canDelete: canOnDocument(subject, 'document.delete'),
    workspaceName: r.workspace_name,
    createdByName: r.created_by_name,
    starred: r.starred,
    share:
      r.share === null
        ? null
        : {
            role: r.share,
            sharedAt: (r.shared_at as Date).toISOString(),
            sharedBy: r.shared_by ? { userId: r.shared_by, displayName: r.shared_by_name ?? '' } : null,
          },
    ...(r.opened_at && { openedAt: r.opened_at.toISOString() }),
  };
}
