/**
 * JSON Schemas shared by routes: validation, serialization and the OpenAPI document come from
 * these. Browser-safe on purpose (TypeBox and src/domain only, no Node imports): the web app
 * derives its API types from them with type-only imports (web/src/api-types.ts).
 */
import { type Static, Type as T, type TSchema } from 'typebox';
import {
  DISPLAY_NAME_MAX_LENGTH,
  EMAIL_MAX_LENGTH,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  TITLE_MAX_LENGTH,
  WORKSPACE_NAME_MAX_LENGTH,
} from '../domain/limits.ts';
import { DOCUMENT_ACCESS, GENERAL_ACCESS, PLANS, SHARE_ROLES, WORKSPACE_ROLES } from '../domain/roles.ts';
import { EXPORT_COMMENT_MODES, EXPORT_FORMATS } from '../export/ports.ts';

export const Uuid = T.String({ format: 'uuid', description: 'identifier' });
export const Email = T.String({ format: 'email', minLength: 3, maxLength: EMAIL_MAX_LENGTH });
export const Password = T.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH });
// PostgreSQL text cannot hold NUL: reject it here as a 400 rather than fail the insert with a 500.
const NO_NUL = '^[^\\u0000]*$';
export const DisplayName = T.String({ minLength: 1, maxLength: DISPLAY_NAME_MAX_LENGTH, pattern: NO_NUL });
export const Title = T.String({ maxLength: TITLE_MAX_LENGTH, pattern: NO_NUL });
export const WorkspaceName = T.String({ minLength: 1, maxLength: WORKSPACE_NAME_MAX_LENGTH, pattern: NO_NUL });
export const Timestamp = T.String({ format: 'date-time' });

export const WorkspaceRoleSchema = T.Enum([...WORKSPACE_ROLES]);
export const ShareRoleSchema = T.Enum([...SHARE_ROLES]);
export const PlanSchema = T.Enum([...PLANS]);
export const AccessSchema = T.Enum([...DOCUMENT_ACCESS]);
export const GeneralAccessSchema = T.Enum([...GENERAL_ACCESS], {
  description:
    'what every member of the workspace may do without a person share: restricted (nothing), view, comment ' +
    'or edit; workspace admins and owners always have full access, guests only their shares',
});

/**
 * A query parameter with a default: optional for clients (so the OpenAPI document does not mark
 * it required), yet typed as always present in handlers, because Ajv's `useDefaults` fills it in
 * before the handler runs (src/http/validation.ts).
 */
export const Defaulted = <S extends TSchema>(schema: S): S => T.Optional(schema) as unknown as S;

/**
 * A success response's schema with the description the OpenAPI document shows for that response
 * and, optionally, the headers it sends (`headers` is read by @fastify/swagger, ignored by Fastify's serializer).
 */
export const described = <S extends TSchema>(description: string, schema: S, headers?: Headers): S =>
  ({ ...schema, description, ...(headers && { headers }) }) as S;

/** The URL of a resource created or queued by the request. */
export const LOCATION: Headers = {
  location: { type: 'string', description: 'URL of the resource (e.g. the job to poll)' },
};

/** Errors are RFC 9457 problem details, sent with this media type (src/http/problem.ts). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** Named `Problem` in the OpenAPI document's components (its `$id` names it, see server.ts). */
export const ProblemSchema = T.Object(
  {
    type: T.String({ description: 'URI naming the kind of problem' }),
    title: T.String(),
    status: T.Integer(),
    detail: T.String({ description: 'what went wrong, for people' }),
    instance: T.Optional(T.String({ description: 'the request path' })),
    errors: T.Optional(
      T.Array(T.Object({ field: T.String(), message: T.String() }), {
        description: 'one entry per invalid field (validation problems)',
      }),
    ),
    traceId: T.Optional(T.String({ description: 'W3C trace id of the request, for support' })),
  },
  { $id: 'Problem', title: 'Problem', description: 'RFC 9457 problem details' },
);

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is invalid; `errors` names the fields',
  401: 'Not authenticated: missing, invalid or expired credentials',
  403: 'Authenticated, but not allowed to do this',
  404: 'No such resource, or not visible to the caller',
  409: 'Conflicts with the current state',
  410: 'Gone: existed, but no longer available',
  413: 'The request body is too large',
  415: 'The request body is not JSON',
  423: 'Locked: the document is quarantined until an operator repairs it',
  429: 'Too many requests; retry after `Retry-After` seconds',
  503: 'Temporarily unavailable; retry after `Retry-After` seconds',
};

/** Response headers for the OpenAPI document (test/openapi-responses.test.ts checks they are sent). */
type Headers = Record<string, { type: string; description: string }>;
const RETRY_AFTER: Headers = { 'retry-after': { type: 'integer', description: 'seconds to wait before retrying' } };

/** One documented problem+json response; Fastify serializes errors of this status with it. */
export const problemResponse = (status: number) => ({
  description: PROBLEM_DESCRIPTIONS[status] ?? 'Problem details',
  ...(status === 429 && { headers: RETRY_AFTER }),
  content: { [PROBLEM_MEDIA_TYPE]: { schema: T.Ref('Problem') } },
});

/** The problem+json responses a route may answer, for the OpenAPI document and the serializer. */
export const problemResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, problemResponse(c)])) as Record<number, ReturnType<typeof problemResponse>>;

/** A successful response in a media type other than JSON (rendered text, files, metrics). */
export const mediaResponse = (description: string, mediaTypes: Record<string, TSchema>) => ({
  description,
  content: Object.fromEntries(Object.entries(mediaTypes).map(([type, schema]) => [type, { schema }])),
});

export const UserSchema = T.Object(
  { id: Uuid, email: T.String(), displayName: T.String(), createdAt: Timestamp },
  { title: 'User' },
);

export const SessionSchema = T.Object(
  {
    user: UserSchema,
    accessToken: T.String(),
    tokenType: T.Literal('Bearer'),
    expiresIn: T.Integer({ description: 'access-token lifetime in seconds' }),
    refreshToken: T.String(),
  },
  { title: 'Session' },
);

export const WorkspaceSchema = T.Object(
  {
    id: Uuid,
    name: T.String(),
    plan: PlanSchema,
    role: WorkspaceRoleSchema,
    primaryOwnerId: T.Union([Uuid, T.Null()], {
      description: 'the owner who alone demotes or removes owners and cannot leave until they hand it over',
    }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'Workspace' },
);

export const MemberSchema = T.Object(
  {
    userId: Uuid,
    email: T.String(),
    displayName: T.String(),
    role: WorkspaceRoleSchema,
    joinedAt: Timestamp,
  },
  { title: 'Member' },
);

export const DocumentSchema = T.Object(
  {
    id: Uuid,
    workspaceId: Uuid,
    title: T.String(),
    createdBy: Uuid,
    ownerId: T.Union([Uuid, T.Null()], {
      description: "the document's owner (its creator until ownership is transferred; null if their account is gone)",
    }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    access: AccessSchema,
    generalAccess: GeneralAccessSchema,
    trashedAt: T.Union([Timestamp, T.Null()], {
      description: 'when it was moved to the trash; null if it is not there',
    }),
    canDelete: T.Boolean({
      description: 'the caller may move it to the trash, restore it and delete it forever',
    }),
    canBrowse: T.Optional(
      T.Boolean({
        description:
          "the caller sees its comments and version history (viewers only if the workspace allows); on a single document's answers",
      }),
    ),
  },
  { title: 'Document' },
);

const PersonRef = T.Object({ userId: Uuid, displayName: T.String() });

/** A row of the document lists (one workspace, or everything the caller can open). */
export const DocumentListItemSchema = T.Object(
  {
    ...DocumentSchema.properties,
    workspaceName: T.String(),
    createdByName: T.String({ description: "the creator's display name" }),
    starred: T.Boolean({ description: 'the caller starred it' }),
    share: T.Union(
      [
        T.Object({
          role: ShareRoleSchema,
          sharedAt: Timestamp,
          sharedBy: T.Union([PersonRef, T.Null()], { description: 'who shared it (null if unknown)' }),
        }),
        T.Null(),
      ],
      { description: "the caller's person share, if any" },
    ),
    openedAt: T.Optional(Timestamp),
  },
  { title: 'DocumentListItem' },
);

/** A document in the trash, as its restorers see it. */
export const TrashItemSchema = T.Object(
  {
    ...DocumentSchema.properties,
    trashedAt: Timestamp,
    trashedBy: T.Union([PersonRef, T.Null()], { description: 'who moved it to the trash' }),
    workspaceName: T.String(),
    purgeAt: T.String({ format: 'date-time', description: 'when it is deleted for good unless restored' }),
  },
  { title: 'TrashItem' },
);

export const ShareSchema = T.Object(
  {
    userId: Uuid,
    email: T.Optional(
      T.String({ description: "present only for those who manage the document's access; others see names [P10]" }),
    ),
    displayName: T.String(),
    role: ShareRoleSchema,
    sharedAt: Timestamp,
  },
  { title: 'Share' },
);

/** What an inviter is told, the same whether or not the email has an account [I1]. */
export const InvitationSentSchema = T.Object(
  {
    email: T.String(),
    role: T.String({ description: 'a workspace role (workspace invitations) or a share role (documents)' }),
    expiresAt: Timestamp,
    link: T.Optional(
      T.String({
        description:
          'The invitation link, only while mail is written to files (no SMTP_URL): pass it on yourself. ' +
          'It is the only copy: it is stored hashed.',
      }),
    ),
  },
  { title: 'InvitationSent' },
);

export const InvitationSchema = T.Object(
  {
    id: Uuid,
    email: T.String(),
    role: T.String(),
    workspaceId: Uuid,
    documentId: T.Union([Uuid, T.Null()], { description: 'null for an invitation to the workspace' }),
    invitedBy: T.Union([Uuid, T.Null()], { description: 'who sent it last (null once their account is gone)' }),
    createdAt: Timestamp,
    expiresAt: Timestamp,
    status: T.Enum(['pending', 'expired']),
  },
  { title: 'Invitation' },
);

export const InviteLinkRoleSchema = T.Enum(['member', 'guest'], {
  description: 'links grant member or guest, never more (a link can be forwarded)',
});

export const InviteLinkSchema = T.Object(
  {
    id: Uuid,
    workspaceId: Uuid,
    role: InviteLinkRoleSchema,
    createdBy: T.Union([Uuid, T.Null()]),
    createdAt: Timestamp,
    expiresAt: Timestamp,
    maxUses: T.Union([T.Integer(), T.Null()], { description: 'null: unlimited until it expires' }),
    uses: T.Integer(),
    status: T.Enum(['active', 'expired', 'used-up', 'revoked']),
  },
  { title: 'InviteLink' },
);

export const InviteLinkCreatedSchema = T.Object(
  {
    ...InviteLinkSchema.properties,
    url: T.String({ description: 'the link to hand out; shown this once (its token is stored hashed)' }),
  },
  { title: 'InviteLinkCreated' },
);

export const InvitationPreviewSchema = T.Object(
  {
    accepted: T.Boolean({ description: 'already accepted: the invitee logs in to open it' }),
    kind: T.Enum(['workspace', 'document', 'link']),
    workspaceName: T.String(),
    documentTitle: T.Union([T.String(), T.Null()]),
    invitedBy: T.Union([T.String(), T.Null()], { description: "the inviter's display name" }),
    email: T.Union([T.String(), T.Null()], { description: 'the invited email (null for invite links)' }),
    role: T.String(),
    expiresAt: Timestamp,
  },
  { title: 'InvitationPreview' },
);

export const AcceptedInvitationSchema = T.Object(
  {
    workspaceId: Uuid,
    documentId: T.Union([Uuid, T.Null()], { description: 'the shared document, when the invitation was to one' }),
    role: T.String({ description: 'the role now held' }),
  },
  { title: 'AcceptedInvitation' },
);

export const SnippetSegmentSchema = T.Object({ text: T.String(), match: T.Boolean() });

export const SearchHitSchema = T.Object(
  {
    id: Uuid,
    workspaceId: Uuid,
    title: T.String(),
    rank: T.Number(),
    snippet: T.Array(SnippetSegmentSchema, {
      description: 'headline split into segments; `match` segments are the query terms to highlight',
    }),
    snippetSource: T.Enum(['content', 'comment'], {
      description:
        'where the snippet comes from: the document, or its comments when only they matched ("in a comment")',
    }),
  },
  { title: 'SearchHit' },
);

/** A document's content as JSON (GET /documents/{id}/content?format=json). */
export const ContentSchema = T.Object(
  {
    content: T.Unknown({ description: 'ProseMirror JSON of the document body' }),
    text: T.String({ description: 'the plain text, for previews and search' }),
    source: T.Enum(['room', 'storage'], { description: 'read from the live room or from stored state' }),
  },
  { title: 'DocumentContent' },
);

export const ExportFormatSchema = T.Enum([...EXPORT_FORMATS], { description: 'pdf, docx (Word), markdown or html' });

export const ExportCommentsSchema = T.Enum([...EXPORT_COMMENT_MODES], {
  description:
    'comment threads printed with the document: none (default), open, or all (resolved ones too). DOCX gets ' +
    'Word comments on their text; PDF, Markdown and HTML numbered markers and a Comments section at the end. ' +
    'Needs the right to read the comments (403 otherwise)',
});

export const ExportJobSchema = T.Object(
  {
    id: Uuid,
    documentId: Uuid,
    workspaceId: Uuid,
    format: ExportFormatSchema,
    comments: ExportCommentsSchema,
    status: T.Enum(['queued', 'running', 'succeeded', 'failed', 'dead']),
    attempts: T.Integer({ description: 'tries started so far' }),
    error: T.Union([T.String(), T.Null()], { description: 'the last error, while retrying or once failed' }),
    createdAt: Timestamp,
    finishedAt: T.Union([Timestamp, T.Null()]),
    downloadUrl: T.Optional(T.String({ description: 'present while the finished file can be downloaded' })),
    expiresAt: T.Optional(Timestamp),
  },
  { title: 'ExportJob' },
);

/** The answer to an export request: the job, plus its webhook secret when a webhook was given. */
export const ExportRequestedSchema = T.Object(
  {
    ...ExportJobSchema.properties,
    webhookSecret: T.Optional(
      T.String({ description: "this job's webhook signing secret (HMAC-SHA256); shown only here, once" }),
    ),
  },
  { title: 'ExportRequested' },
);

/** A whole collection in one answer. */
export const Items = <S extends TSchema>(item: S) => T.Object({ items: T.Array(item) });
export type ItemsOf<I> = { items: I[] };
/** One page of a keyset-paginated collection; `nextCursor` is null on the last page. */
export const Page = <S extends TSchema>(item: S) =>
  T.Object({ items: T.Array(item), nextCursor: T.Union([T.String(), T.Null()]) });
export type PageOf<I> = { items: I[]; nextCursor: string | null };

/** A public key in JWK form (RFC 7517); which members are present depends on `kty`. */
export const JwkSchema = T.Object(
  {
    kty: T.String(),
    kid: T.Optional(T.String()),
    alg: T.Optional(T.String()),
    use: T.Optional(T.String()),
    crv: T.Optional(T.String()),
    x: T.Optional(T.String()),
    y: T.Optional(T.String()),
    n: T.Optional(T.String()),
    e: T.Optional(T.String()),
  },
  // Serialization keeps members not listed here (e.g. `x5c`) instead of dropping them.
  { title: 'Jwk', additionalProperties: true },
);
export const JwksSchema = T.Object({ keys: T.Array(JwkSchema) }, { title: 'JwkSet' });

export type User = Static<typeof UserSchema>;
export type Session = Static<typeof SessionSchema>;
export type Workspace = Static<typeof WorkspaceSchema>;
export type Member = Static<typeof MemberSchema>;
export type DocumentInfo = Static<typeof DocumentSchema>;
export type DocumentListItem = Static<typeof DocumentListItemSchema>;
export type TrashItem = Static<typeof TrashItemSchema>;
export type Share = Static<typeof ShareSchema>;
export type SearchHit = Static<typeof SearchHitSchema>;
export type SnippetSegment = Static<typeof SnippetSegmentSchema>;
export type Problem = Static<typeof ProblemSchema>;
export type ExportJob = Static<typeof ExportJobSchema>;
export type InvitationSent = Static<typeof InvitationSentSchema>;
export type Invitation = Static<typeof InvitationSchema>;
export type InvitationPreview = Static<typeof InvitationPreviewSchema>;
export type InvitationAccepted = Static<typeof AcceptedInvitationSchema>;
export type InviteLink = Static<typeof InviteLinkSchema>;
export type InviteLinkCreated = Static<typeof InviteLinkCreatedSchema>;
export type ExportRequested = Static<typeof ExportRequestedSchema>;
export type DocumentContent = Static<typeof ContentSchema>;

// Comments, mentions and notifications (issue 14): their schemas live in comment-schemas.ts.
export type {
  CommentItem,
  CommentThread,
  NotificationItem,
  NotificationPage,
  NotificationSettings,
  Person,
  WorkspaceSettings,
} from './comment-schemas.ts';

// Version history's shapes live in version-schemas.ts; the web app reads them through here.
export type { Version, VersionChanges, VersionContent, VersionRestored } from './version-schemas.ts';
