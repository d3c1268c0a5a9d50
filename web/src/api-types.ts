/**
 * The API's shapes as the web app reads them, derived from the server's own schemas
 * (src/http/schemas.ts, TypeBox) and roles (src/domain/roles.ts). Type-only imports: nothing of
 * the server reaches the bundle, and a schema change the web app does not follow fails
 * `npm run typecheck`.
 */
import type { ExportJob } from '../../src/http/schemas.ts';

export type { DocumentAccess, Plan, ShareRole, WorkspaceRole } from '../../src/domain/roles.ts';
export type {
  CommentItem,
  CommentThread,
  DocumentContent,
  DocumentInfo,
  DocumentListItem,
  ExportJob,
  ExportRequested,
  Invitation,
  InvitationAccepted,
  InvitationPreview,
  InvitationSent,
  InviteLink,
  InviteLinkCreated,
  ItemsOf as Items,
  Member,
  NotificationItem,
  NotificationPage,
  NotificationSettings,
  PageOf as Page,
  Person,
  Problem,
  SearchHit,
  Session,
  Share,
  SnippetSegment,
  TrashItem,
  User,
  Version,
  VersionChanges,
  VersionRestored,
  Workspace,
} from '../../src/http/schemas.ts';

export type ExportFormat = ExportJob['format'];
