/**
 * One open document's collaboration plumbing, outside any UI framework: the Y.Doc, its presence
 * (awareness), the on-device copy (IndexedDB, so offline edits survive a reload) and the SyncClient
 * to the server, plus the browser's own online/offline signals, which notice a dropped network long
 * before a silent socket would.
 */
import { ObservableV2 } from 'lib0/observable';
import { IndexeddbPersistence } from 'y-indexeddb';
import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { type CloseInfo, SyncClient, type SyncStatus } from '../../../src/client/sync-client.ts';
import { CloseCode } from '../../../src/sync/close-codes.ts';
import type { AccessChanged, CommentsChanged, RoomStatus } from '../../../src/sync/protocol.ts';
import { localDatabaseNames, localStoreName } from '../local-databases.ts';
import { adoptingWebSocket } from './adopted-socket.ts';
import { deferredCloseWebSocket } from './deferred-close-websocket.ts';
import type { PresenceUser } from './presence.ts';
import { cannotSaveChanges, hasChangesToSave } from './sync-status-text.ts';

export type CollabSessionOptions = {
  documentId: string;
  user: PresenceUser;
  /** e.g. `wss://host/sync`; the document id is appended by the client. */
  syncUrl: string;
  getToken: () => Promise<string>;
};

export type CollabSessionEvents = {
  status: (status: SyncStatus) => void;
  'room-status': (status: RoomStatus) => void;
  'access-changed': (change: AccessChanged) => void;
  closed: (close: CloseInfo) => void;
  /** A comment thread changed (docs/spec/comments.md C5): the comments panel re-reads. */
  'comments-changed': (change: CommentsChanged) => void;
};

/** Connect anyway if the on-device copy has not loaded by then (IndexedDB blocked or very slow). */
const LOCAL_LOAD_TIMEOUT_MS = 1500;

/** How long a left document may stay connected to deliver changes made before leaving. */
const LINGER_MAX_MS = 10 * 60_000;

const STARTING: SyncStatus = { connection: 'connecting', synced: false, saved: false, pendingChanges: 0 };

/**
 * Whether this device may hold a copy of the document: true unless IndexedDB lists its databases
 * and this one is not among them (then nothing local can predate the server's state).
 */
async function hasLocalCopy(name: string): Promise<boolean> {
  const names = localDatabaseNames();
  if (!names) return true;
  try {
    return (await names).includes(name);
  } catch {
    return true;
  }
}

/** Performance marks (visible in DevTools and to the load benchmark): `collab-docs:synced`, ... */
function mark(name: string): void {
  performance.mark(`collab-docs:${name}`);
}

/** Sessions left with unsaved changes, still connected until the server has them. */
const lingering = new Set<CollabSession>();

/** Closing the tab while a left document still has unsaved changes asks first, too. */
function guardUnload(event: BeforeUnloadEvent): void {
  for (const session of lingering) {
    if (hasChangesToSave(session.status)) {
      event.preventDefault();
      event.returnValue = '';
      return;
    }
  }
}

export class CollabSession extends ObservableV2<CollabSessionEvents> {
  readonly doc = new Y.Doc();
  readonly awareness = new Awareness(this.doc);
  private readonly options: CollabSessionOptions;
  private client: SyncClient | undefined;
  private persistence: IndexeddbPersistence | undefined;
  private localLoadTimer: ReturnType<typeof setTimeout> | undefined;
  private started = false;
  private everSynced = false;
  private leaving = false;
  private destroyed = false;
  /**
   * What the server last said about this connection, for a page that subscribes after the session
   * started (it may be opened before the page's code arrives, see session-prestart.ts): the room's
   * status, an access change since then, and the close.
   */
  roomStatus: RoomStatus | undefined;
  accessChange: AccessChanged | undefined;
  closedWith: CloseInfo | undefined;

  constructor(options: CollabSessionOptions) {
    super();
    this.options = options;
  }

  /** What the status indicator shows; 'connecting' until the on-device copy is loaded. */
  get status(): SyncStatus {
    if (this.client) return this.client.status;
    return navigator.onLine ? STARTING : { ...STARTING, connection: 'offline' };
  }

  /**
   * Loads the on-device copy first, so the server's sync step gets what this device holds as its
   * baseline rather than as a burst of "new" changes, then connects; with no copy on this device,
   * connects at once, alongside creating the local store.
   */
  start(): void {
    if (this.started || this.destroyed) return;
    this.started = true;
    // Presence before the editor (which sets the same field for its carets) is even built.
    this.awareness.setLocalStateField('user', this.options.user);
    window.addEventListener('offline', this.onOffline);
    window.addEventListener('online', this.onOnline);
    document.addEventListener('visibilitychange', this.onVisibilityChange);
    if (typeof indexedDB === 'undefined') {
      this.connect();
      return;
    }
    const name = localStoreName(this.options.user.id, this.options.documentId);
    // Asked before the persistence below creates the database (requests to IndexedDB are served in order).
    const hasCopy = hasLocalCopy(name);
    const persistence = new IndexeddbPersistence(name, this.doc);
    this.persistence = persistence;
    // The first open on this device has no copy to load first: connect at once rather than wait
    // for IndexedDB to create an empty database (200–400 ms of a cold open in bench:web's phases).
    void hasCopy.then((has) => {
      mark('local-copy-checked');
      if (!has) this.connect();
    });
    this.localLoadTimer = setTimeout(() => this.connect(), LOCAL_LOAD_TIMEOUT_MS);
    persistence.whenSynced.then(
      () => {
        mark('local-copy-loaded');
        this.connect();
      },
      () => this.connect(),
    );
  }

  /** Tries again now: after a terminal close (e.g. a fresh log-in) or instead of waiting out the backoff. */
  retryNow(): void {
    this.closedWith = undefined;
    this.client?.connect();
  }

  /**
   * The page is done with this document. With unsaved changes (made offline, say) the connection
   * stays, without presence, until the server acknowledged them, so they are delivered once the
   * network is back even if this document is never opened again; then everything is torn down.
   */
  leave(): void {
    if (this.destroyed || this.leaving) return;
    this.leaving = true;
    this.awareness.setLocalState(null);
    const status = this.status;
    // Changes the server refuses (view-only now) would keep it connected for nothing.
    if (!this.client || status.closed || !hasChangesToSave(status)) {
      this.destroy();
      return;
    }
    super.destroy(); // drops the page's listeners; ours follows
    if (lingering.size === 0) window.addEventListener('beforeunload', guardUnload);
    lingering.add(this);
    const finish = () => {
      clearTimeout(timer);
      lingering.delete(this);
      if (lingering.size === 0) window.removeEventListener('beforeunload', guardUnload);
      this.destroy();
    };
    const timer = setTimeout(finish, LINGER_MAX_MS);
    this.on('status', (s) => {
      if ((s.saved && s.pendingChanges === 0) || s.closed || cannotSaveChanges(s)) finish();
    });
  }

  override destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearTimeout(this.localLoadTimer);
    window.removeEventListener('offline', this.onOffline);
    window.removeEventListener('online', this.onOnline);
    document.removeEventListener('visibilitychange', this.onVisibilityChange);
    // Tell the others we left while the socket is still open, so our caret goes at once.
    this.awareness.setLocalState(null);
    this.client?.destroy();
    void this.persistence?.destroy();
    this.awareness.destroy();
    this.doc.destroy();
    super.destroy();
  }

  private connect(): void {
    clearTimeout(this.localLoadTimer);
    if (this.client || this.destroyed) return;
    mark('connect');
    const client = new SyncClient({
      url: this.options.syncUrl,
      documentId: this.options.documentId,
      doc: this.doc,
      awareness: this.awareness,
      getToken: this.options.getToken,
      // The socket the entry dialled for a cold open, if it is this one's (early-sync-socket.ts).
      WebSocket: adoptingWebSocket(this.options.user.id, deferredCloseWebSocket()),
      // Offline at start: the 'online' event connects.
      connect: navigator.onLine,
    });
    this.client = client;
    client.on('status', (status) => {
      if (status.synced && !this.everSynced) {
        this.everSynced = true;
        mark('synced');
      }
      this.emit('status', [status]);
    });
    client.on('room-status', (status) => {
      this.roomStatus = status;
      this.accessChange = undefined;
      this.emit('room-status', [status]);
    });
    client.on('access-changed', (change) => {
      this.accessChange = change;
      this.emit('access-changed', [change]);
    });
    client.on('comments-changed', (change) => this.emit('comments-changed', [change]));
    client.on('closed', (close) => this.onClosed(close));
    this.emit('status', [client.status]);
  }

  private onClosed(close: CloseInfo): void {
    this.closedWith = close;
    // No access any more (or no document), or a copy older than the document's repair [S11.6]:
    // do not keep it on this device.
    if (close.code === CloseCode.FORBIDDEN || close.code === CloseCode.NOT_FOUND || close.code === CloseCode.RESET) {
      const persistence = this.persistence;
      this.persistence = undefined;
      persistence
        ?.clearData()
        .catch((error: unknown) => console.warn('Could not remove the on-device copy of this document', error));
    }
    this.emit('closed', [close]);
  }

  private readonly onOffline = (): void => {
    const client = this.client;
    if (!client || client.status.closed) return;
    client.disconnect();
  };

  /** Someone came back to the tab while it waits out a long backoff: try now rather than make them wait. */
  private readonly onVisibilityChange = (): void => {
    const client = this.client;
    if (document.visibilityState !== 'visible' || !client || !navigator.onLine) return;
    if (client.status.retryInMs !== undefined) client.connect();
  };

  private readonly onOnline = (): void => {
    const client = this.client;
    if (!client || client.status.closed) return;
    client.connect();
  };
}
