/**
 * JSON Schemas of comments, mentions and notifications (docs/spec/comments.md), beside the shared
 * ones in schemas.ts. Browser-safe like it: the web app takes its types from here through
 * schemas.ts's type-only re-exports.
 */
import { type Static, Type as T } from 'typebox';
import {
  ANCHOR_MAX_LENGTH,
  COMMENT_MAX_LENGTH,
  COMMENT_MAX_MENTIONS,
  COMMENT_QUOTE_MAX_LENGTH,
} from '../domain/comment-limits.ts';
import { Page, Timestamp, Uuid } from './schemas.ts';

// PostgreSQL text cannot hold NUL: a 400 here rather than a 500 at the insert.
const NO_NUL = '^[^\\u0000]*$';
const BASE64 = '^[A-Za-z0-9+/]+={0,2}$';

export const CommentBody = T.String({ minLength: 1, maxLength: COMMENT_MAX_LENGTH, pattern: NO_NUL });
export const Mentions = T.Array(Uuid, {
  maxItems: COMMENT_MAX_MENTIONS,
  description: 'user ids of the people @mentioned in the body; each must be able to open the document',
});
export const AnchorSchema = T.Object(
  {
    start: T.String({ minLength: 1, maxLength: ANCHOR_MAX_LENGTH, pattern: BASE64 }),
    end: T.String({ minLength: 1, maxLength: ANCHOR_MAX_LENGTH, pattern: BASE64 }),
  },
  {
    title: 'CommentAnchor',
    description:
      'The commented range as two Yjs relative positions (base64 of `Y.encodeRelativePosition`) in the ' +
      "document's `default` XmlFragment: they follow the text through edits (docs/spec/comments.md C2)",
    additionalProperties: false,
  },
);

export const NewThreadBody = T.Object(
  {
    anchor: AnchorSchema,
    quote: T.String({ maxLength: COMMENT_QUOTE_MAX_LENGTH, pattern: NO_NUL, description: 'the selected text' }),
    body: CommentBody,
    mentions: T.Optional(Mentions),
  },
  { additionalProperties: false },
);
export const CommentTextBody = T.Object(
  { body: CommentBody, mentions: T.Optional(Mentions) },
  { additionalProperties: false },
);

export const PersonSchema = T.Object({ userId: Uuid, displayName: T.String() }, { title: 'Person' });
/** A mention candidate; `needsShare` only for callers who may share the document (the share prompt). */
export const MentionCandidateSchema = T.Object(
  {
    userId: Uuid,
    displayName: T.String(),
    needsShare: T.Optional(
      T.Boolean({
        description:
          'cannot read the comments yet: a mention is refused until the document is shared with them (only listed for callers who may share it)',
      }),
    ),
  },
  { title: 'MentionCandidate' },
);
const NullablePerson = T.Union([PersonSchema, T.Null()], { description: 'null when the account was deleted' });

export const CommentSchema = T.Object(
  {
    id: Uuid,
    author: NullablePerson,
    body: T.String(),
    mentions: T.Array(PersonSchema),
    createdAt: Timestamp,
    editedAt: T.Union([Timestamp, T.Null()]),
  },
  { title: 'Comment' },
);

export const ThreadSchema = T.Object(
  {
    id: Uuid,
    documentId: Uuid,
    anchor: AnchorSchema,
    quote: T.String(),
    status: T.Enum(['open', 'resolved']),
    createdBy: NullablePerson,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    resolvedAt: T.Union([Timestamp, T.Null()]),
    resolvedBy: T.Union([PersonSchema, T.Null()]),
    comments: T.Array(CommentSchema, { description: 'oldest first; the first one started the thread' }),
  },
  { title: 'CommentThread' },
);
export const ThreadPageSchema = Page(ThreadSchema);

export const NotificationSchema = T.Object(
  {
    id: Uuid,
    kind: T.Enum(['mention', 'reply'], {
      description: 'mentioned in a comment, or a reply in a thread you took part in',
    }),
    document: T.Object({ id: Uuid, title: T.String() }),
    threadId: Uuid,
    commentId: Uuid,
    actor: NullablePerson,
    excerpt: T.String({ description: 'the opening of the comment' }),
    createdAt: Timestamp,
    readAt: T.Union([Timestamp, T.Null()]),
  },
  { title: 'Notification' },
);
export const NotificationPageSchema = T.Object({
  items: T.Array(NotificationSchema),
  nextCursor: T.Union([T.String(), T.Null()]),
  unread: T.Integer({ description: 'unread notifications in all' }),
});
export const UnreadCountSchema = T.Object({ unread: T.Integer() }, { title: 'UnreadCount' });
export const NotificationSettingsSchema = T.Object(
  {
    email: T.Enum(['digest', 'off'], {
      description: 'digest: one email batching what arrived (after NOTIFICATION_EMAIL_DELAY_SECONDS); off: in-app only',
    }),
  },
  { title: 'NotificationSettings', additionalProperties: false },
);
export const WorkspaceSettingsSchema = T.Object(
  {
    workspaceId: Uuid,
    viewersBrowse: T.Boolean({
      description:
        "viewers of the workspace's documents see their comments and version history (people who can comment always do)",
    }),
  },
  { title: 'WorkspaceSettings' },
);

export type CommentThread = Static<typeof ThreadSchema>;
export type CommentItem = Static<typeof CommentSchema>;
export type Person = Static<typeof PersonSchema>;
export type NotificationItem = Static<typeof NotificationSchema>;
export type NotificationPage = Static<typeof NotificationPageSchema>;
export type NotificationSettings = Static<typeof NotificationSettingsSchema>;
export type WorkspaceSettings = Static<typeof WorkspaceSettingsSchema>;
export type MentionCandidate = Static<typeof MentionCandidateSchema>;
