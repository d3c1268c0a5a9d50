/**
 * Lean sync clients for the load generator: `DocClient` keeps a Y.Doc and reports when remote
 * edits arrive; `RawClient` does the handshake with constant frames and then only counts what
 * it is sent (for crowds of passive sockets).
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as sync from 'y-protocols/sync';
import * as Y from 'yjs';
import { emptyStep1, emptyStep2, Message, Sync, type Wire } from './wire.ts';

const READY_TIMEOUT_MS = 20_000;
/** Closes after which a real client reconnects (our 4503 "unavailable, retry later", service restart, try again later). */
const RETRYABLE_CLOSES: ReadonlySet<number> = new Set([4503, 1012, 1013]);
const CONNECT_ATTEMPTS = 5;
const NORMAL_CLOSE = 1000;
const RETRY_BASE_MS = 200;
/** Y.Map in every bench document: editor key → sequence number of its latest edit. */
export const EDITS_MAP = 'bench-edits';
export const TEXT = 'bench-text';

/** What went wrong on the sockets of one workload: closes the bench did not ask for, errors, denials. */
export class SocketTally {
  readonly closes = new Map<number, number>();
  errors = 0;
  denied = 0;
  /** Connects retried after a retryable close (each one is also counted in `closes`). */
  retried = 0;
  readonly samples: string[] = [];
  close(code: number, reason: string) {
    this.closes.set(code, (this.closes.get(code) ?? 0) + 1);
    if (this.samples.length < 5) this.samples.push(`close ${code} ${reason}`);
  }
  error(message: string) {
    this.errors++;
    if (this.samples.length < 5) this.samples.push(`error ${message}`);
  }
  /** Adds another tally's counts (a crowd process's sockets). */
  merge(other: ReturnType<SocketTally['toJSON']>) {
    for (const [code, n] of Object.entries(other.unexpectedCloses))
      this.closes.set(Number(code), (this.closes.get(Number(code)) ?? 0) + n);
    this.errors += other.errors;
    this.denied += other.denied;
    this.retried += other.retriedConnects;
    for (const e of other.examples) if (this.samples.length < 5) this.samples.push(e);
  }
  toJSON() {
    return {
      unexpectedCloses: Object.fromEntries(this.closes),
      errors: this.errors,
      denied: this.denied,
      retriedConnects: this.retried,
      examples: this.samples,
    };
  }
}

export type Target = { wire: Wire; base: string; tally: SocketTally };

/** The socket closed (by the server, or the connection broke) before or after it synced. */
export class SocketClosed extends Error {
  readonly code: number;
  constructor(code: number, reason: string) {
    super(`closed ${code} ${reason}`);
    this.code = code;
  }
}

abstract class BenchSocket {
  protected readonly ws: WebSocket;
  protected readonly wire: Wire;
  protected readonly documentId: string;
  protected readonly tally: SocketTally;
  private closing = false;
  private settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
  readonly ready: Promise<void>;

  constructor(target: Target, documentId: string, token: string) {
    this.wire = target.wire;
    this.tally = target.tally;
    this.documentId = documentId;
    this.ready = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    const timer = setTimeout(() => this.fail(new Error(`not synced after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    void this.ready.then(
      () => clearTimeout(timer),
      () => clearTimeout(timer),
    );
    // Compression off on both peers: what is measured is the sync tier, not zlib.
    this.ws = new WebSocket(target.wire.url(target.base, documentId, token), { perMessageDeflate: false });
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('open', () => {
      for (const f of this.wire.hello(documentId, token)) this.ws.send(f);
      this.opened();
    });
    this.ws.on('message', (data: Buffer) => this.received(data, performance.now()));
    this.ws.on('error', (err) => {
      if (!this.closing) this.tally.error(err.message);
      this.fail(err);
    });
    this.ws.on('close', (code, reason) => {
      if (!this.closing) this.tally.close(code, reason.toString());
      this.fail(new SocketClosed(code, reason.toString()));
    });
  }

  protected abstract opened(): void;
  protected abstract received(frame: Uint8Array, at: number): void;

  protected synced() {
    this.settle?.resolve();
    this.settle = undefined;
  }

  private fail(err: Error) {
    this.settle?.reject(err);
    this.settle = undefined;
  }

  protected send(frame: Uint8Array) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  protected permissionDenied(reason: string) {
    this.tally.denied++;
    this.fail(new Error(`permission denied: ${reason}`));
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Buffered bytes not yet handed to the kernel: a sign the load generator cannot keep up. */
  get backlog(): number {
    return this.ws.bufferedAmount;
  }

  /** Leaves the way a closing tab does: a close frame, not a dropped connection. */
  close() {
    this.closing = true;
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else this.ws.close(NORMAL_CLOSE);
  }
}

/** Told about every remote edit: which editor, up to which sequence number, when the frame arrived. */
export type EditListener = (editor: string, seq: number, receivedAt: number) => void;
/** Told when the server acknowledged one of this typist's edits as stored. */
export type SavedListener = (sentAt: number, savedAt: number) => void;

/**
 * A client with a Y.Doc. A frame's arrival time is taken as it is read; the Yjs work is
 * deferred to the check phase, so a hundred clients in this one process receiving the same
 * broadcast do not bill each other's apply time as propagation latency.
 */
export class DocClient extends BenchSocket {
  readonly doc = new Y.Doc();
  readonly text = this.doc.getText(TEXT);
  readonly edits = this.doc.getMap<number>(EDITS_MAP);
  /** Arrival time of the frame being applied (the observer runs inside the apply). */
  private frameAt = 0;
  private readonly inbox: { frame: Uint8Array; at: number }[] = [];
  /** Send time of every update-carrying frame sent, in order (undefined: not an edit, e.g. the handshake's step 2). */
  private readonly updateFrames: (number | undefined)[] = [];
  private saved = 0;
  /** Send time of the edit being typed (the update listener runs inside `type`). */
  private editSentAt: number | undefined;
  private readonly onSaved: SavedListener | undefined;
  /** A typist's presence (its cursor), sent after every keystroke like an editor does. */
  private readonly awareness: awarenessProtocol.Awareness | undefined;
  /**
   * What this client's Y.Doc was made to do (the load generator shares the cores with the server,
   * so client work a peer causes is latency it is measured with): transactions run, sync frames
   * applied and their bytes, and frames carrying structs this client wrote itself (its own edits
   * sent back; counted only with `countEchoes`, which decodes every frame).
   */
  readonly work = { transactions: 0, syncFrames: 0, syncBytes: 0, echoes: 0 };
  private readonly countEchoes: boolean;

  /** Only a typist sends its local changes (listening for them makes Yjs encode every remote update too). */
  constructor(
    target: Target,
    documentId: string,
    token: string,
    opts: {
      typist: boolean;
      presence?: boolean;
      onEdit?: EditListener;
      onSaved?: SavedListener;
      countEchoes?: boolean;
    },
  ) {
    super(target, documentId, token);
    this.onSaved = opts.onSaved;
    this.countEchoes = opts.countEchoes === true && opts.typist;
    this.doc.on('afterTransaction', () => {
      this.work.transactions++;
    });
    if (opts.typist && opts.presence) {
      this.awareness = new awarenessProtocol.Awareness(this.doc);
      this.awareness.setLocalState({ user: { name: `typist ${this.doc.clientID}` }, cursor: null });
    }
    if (opts.typist) {
      this.doc.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin === this) return;
        const e = this.wire.begin(this.documentId);
        encoding.writeVarUint(e, Message.SYNC);
        sync.writeUpdate(e, update);
        this.updateFrames.push(this.editSentAt);
        this.send(encoding.toUint8Array(e));
      });
    }
    const onEdit = opts.onEdit;
    if (onEdit) {
      this.edits.observe((event, tr) => {
        if (tr.local) return;
        for (const editor of event.keysChanged) {
          const seq = this.edits.get(editor);
          if (seq !== undefined) onEdit(editor, seq, this.frameAt);
        }
      });
    }
  }

  protected opened() {
    const e = this.wire.begin(this.documentId);
    encoding.writeVarUint(e, Message.SYNC);
    sync.writeSyncStep1(e, this.doc);
    this.send(encoding.toUint8Array(e));
  }

  protected received(frame: Uint8Array, at: number) {
    this.inbox.push({ frame, at });
    if (this.inbox.length === 1) setImmediate(this.drain);
  }

  private readonly drain = () => {
    for (const { frame, at } of this.inbox) this.apply(frame, at);
    this.inbox.length = 0;
  };

  private apply(frame: Uint8Array, at: number) {
    const { type, decoder } = this.wire.read(frame);
    if (type === Message.AUTH) {
      const reason = this.wire.denied(decoder);
      if (reason !== undefined) this.permissionDenied(reason);
      return;
    }
    if (type === this.wire.savedType) return this.savedUpTo(decoding.readVarUint(decoder), at);
    if (type !== Message.SYNC) return; // awareness, room status: not what is measured
    this.frameAt = at;
    this.work.syncFrames++;
    this.work.syncBytes += frame.byteLength;
    if (this.countEchoes && this.echoes(decoder)) this.work.echoes++;
    const reply = this.wire.begin(this.documentId);
    encoding.writeVarUint(reply, Message.SYNC);
    const replyStart = encoding.length(reply);
    const sub = sync.readSyncMessage(decoder, reply, this.doc, this);
    if (encoding.length(reply) > replyStart) {
      // The only reply is step 2 (to the server's step 1): it carries content, so the server counts it.
      if (sub === Sync.STEP1) this.updateFrames.push(undefined);
      this.send(encoding.toUint8Array(reply));
    }
    if (sub === Sync.STEP2) this.synced();
  }

  /** Whether the sync message at the decoder's position carries structs of this client (not consumed). */
  private echoes(decoder: decoding.Decoder): boolean {
    const peek = decoding.clone(decoder);
    if (decoding.readVarUint(peek) !== Sync.UPDATE) return false;
    return Y.parseUpdateMeta(decoding.readVarUint8Array(peek)).from.has(this.doc.clientID);
  }

  private savedUpTo(count: number, at: number) {
    for (; this.saved < count && this.saved < this.updateFrames.length; this.saved++) {
      const sentAt = this.updateFrames[this.saved];
      if (sentAt !== undefined) this.onSaved?.(sentAt, at);
    }
  }

  /** Types one character at a random place and bumps this editor's sequence number, in one update. */
  type(editor: string, seq: number, char: string, position: number, sentAt: number) {
    this.editSentAt = sentAt;
    this.doc.transact(() => {
      this.text.insert(Math.min(position, this.text.length), char);
      this.edits.set(editor, seq);
    });
    this.editSentAt = undefined;
    if (this.awareness) this.sendCursor(position + 1);
  }

  private sendCursor(at: number) {
    const awareness = this.awareness as awarenessProtocol.Awareness;
    awareness.setLocalStateField('cursor', { anchor: at, head: at });
    const e = this.wire.begin(this.documentId);
    encoding.writeVarUint(e, Message.AWARENESS);
    encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(awareness, [this.doc.clientID]));
    this.send(encoding.toUint8Array(e));
  }

  override close() {
    this.awareness?.destroy();
    super.close();
  }
}

export class RawClient extends BenchSocket {
  frames = 0;
  bytes = 0;
  /** Presence frames, and the cursor states they carried (a sampled tick sends many in one frame). */
  presenceFrames = 0;
  presenceStates = 0;

  protected opened() {
    this.send(emptyStep1(this.wire, this.documentId));
  }

  protected received(frame: Uint8Array) {
    this.frames++;
    this.bytes += frame.length;
    // Peek at the first bytes only: answer the server's step 1, notice its step 2.
    const { type, decoder } = this.wire.read(frame);
    if (type === Message.AUTH) {
      const reason = this.wire.denied(decoder);
      if (reason !== undefined) this.permissionDenied(reason);
      return;
    }
    if (type === Message.AWARENESS) {
      this.presenceFrames++;
      decoding.readVarUint(decoder); // the update's length
      this.presenceStates += decoding.readVarUint(decoder);
      return;
    }
    if (type !== Message.SYNC) return;
    const sub = decoder.arr[decoder.pos];
    if (sub === Sync.STEP1) this.send(emptyStep2(this.wire, this.documentId));
    else if (sub === Sync.STEP2) this.synced();
  }
}

/**
 * Opens a client and waits until it is synced, reconnecting after retryable closes the way a
 * real client does (full jitter); other failures are final.
 */
export async function connect<C extends DocClient | RawClient>(tally: SocketTally, make: () => C): Promise<C> {
  for (let attempt = 1; ; attempt++) {
    const client = make();
    try {
      await client.ready;
      return client;
    } catch (err) {
      client.close();
      if (attempt >= CONNECT_ATTEMPTS || !(err instanceof SocketClosed && RETRYABLE_CLOSES.has(err.code))) throw err;
      tally.retried++;
      await new Promise((r) => setTimeout(r, Math.random() * RETRY_BASE_MS * 2 ** attempt));
    }
  }
}
