/**
 * What changed about who may access what. Recorded by the use cases (outbox), applied by the
 * permission cache and by the sync tier's re-checks of open sockets, published between instances.
 */
export type PermissionEvent =
  | { v: 1; type: 'member-changed'; workspaceId: string; userId: string }
  | { v: 1; type: 'share-changed'; documentId: string; userId: string }
  | { v: 1; type: 'document-deleted'; documentId: string; workspaceId: string }
  | { v: 1; type: 'document-trashed'; documentId: string; workspaceId: string }
  | { v: 1; type: 'document-restored'; documentId: string; workspaceId: string }
  /** Its general access or its owner changed: everyone in its room may have gained or lost [P7] [P8]. */
  | { v: 1; type: 'document-access-changed'; documentId: string; workspaceId: string }
  | { v: 1; type: 'workspace-deleted'; workspaceId: string }
  /** A workspace setting that decides access changed (viewers browsing comments and history [C1]). */
  | { v: 1; type: 'workspace-settings-changed'; workspaceId: string };
