/**
 * The socket the stock y-websocket provider is handed: it waits out our jittered backoff, fetches
 * a token and dials the real WebSocket, sends TOKEN first, and counts the update-carrying frames
 * the provider sends (so "saved" is exact). Used by SyncClient only.
 */
import type { CloseInfo, WebSocketConstructor } from './sync-client.ts';

type RealSocket = {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: CloseInfo) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number): void;
};

type GatePhase = 'waiting' | 'preparing' | 'connecting' | 'open' | 'ended';
export type Dial = { url: string; firstFrame?: Uint8Array; token: string };

export type GateHooks = {
  /** Returns how long to wait before dialling. */
  attemptStarted(gate: SocketGate): number;
  /** Resolves the URL and first frame, or rejects with the close to report. */
  prepare(url: string): Promise<Dial>;
  opened(gate: SocketGate, token: string): void;
  frameSent(frame: Uint8Array): void;
  ended(gate: SocketGate, close: CloseInfo | undefined): void;
  changed(): void;
};

const OPEN = 1;
const CLOSING = 2;

/**
 * What the provider believes is a WebSocket. It waits out the jittered delay, fetches a token and
 * dials the real socket; on open it sends TOKEN before handing over to the provider's onopen (which
 * sends sync step 1), and it counts every update-carrying frame the provider sends.
 */
export class SocketGate {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;
  binaryType = 'arraybuffer';
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onclose: ((event: CloseInfo) => void) | null = null;
  phase: GatePhase = 'waiting';
  private real: RealSocket | undefined;
  private waitTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly url: string;
  private readonly protocols: string | string[] | undefined;
  private readonly hooks: GateHooks;
  private readonly WS: WebSocketConstructor;

  constructor(url: string, protocols: string | string[] | undefined, hooks: GateHooks, WS: WebSocketConstructor) {
    this.url = url;
    this.protocols = protocols;
    this.hooks = hooks;
    this.WS = WS;
    const delayMs = hooks.attemptStarted(this);
    if (delayMs > 0) this.waitTimer = setTimeout(() => this.proceed(), delayMs);
    else this.proceed();
  }

  get readyState(): number {
    return this.phase === 'open' ? this.OPEN : this.phase === 'ended' ? this.CLOSED : this.CONNECTING;
  }

  /** Skips the remaining backoff (the app's "retry now"). */
  proceedNow(): void {
    if (this.phase !== 'waiting') return;
    clearTimeout(this.waitTimer);
    this.proceed();
  }

  send(frame: Uint8Array): void {
    // A frame the socket will not transmit must not be counted: the server would never acknowledge it.
    if (this.phase !== 'open' || this.real?.readyState !== OPEN) return;
    this.real.send(frame);
    this.hooks.frameSent(frame);
  }

  /** Called by the provider (disconnect, destroy, its silence watchdog). */
  close(): void {
    if (this.phase !== 'ended') this.finish(undefined);
  }

  private proceed(): void {
    this.waitTimer = undefined;
    this.phase = 'preparing';
    this.hooks.changed();
    this.hooks.prepare(this.url).then(
      (dial) => this.dial(dial),
      (close: CloseInfo) => this.end(close),
    );
  }

  private dial(dial: Dial): void {
    if (this.phase === 'ended') return;
    const real = new this.WS(dial.url, this.protocols) as RealSocket;
    this.real = real;
    this.phase = 'connecting';
    real.binaryType = 'arraybuffer';
    real.onopen = (event) => {
      if (this.phase !== 'connecting') return;
      if (dial.firstFrame) real.send(dial.firstFrame);
      this.phase = 'open';
      this.hooks.opened(this, dial.token);
      this.onopen?.(event);
    };
    real.onmessage = (event) => {
      if (this.phase === 'open') this.onmessage?.(event);
    };
    real.onerror = (event) => this.onerror?.(event);
    real.onclose = (event) => this.end({ code: event.code, reason: event.reason });
  }

  private end(close: CloseInfo): void {
    if (this.phase === 'ended') return;
    this.finish(close);
    this.onclose?.({ code: close.code, reason: close.reason });
  }

  private finish(close: CloseInfo | undefined): void {
    this.phase = 'ended';
    clearTimeout(this.waitTimer);
    if (this.real && this.real.readyState < CLOSING) this.real.close();
    this.hooks.ended(this, close);
  }
}
