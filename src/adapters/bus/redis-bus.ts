/**
 * Redis pub/sub event bus: one connection publishes, one subscribes. Pub/sub is at-most-once,
 * so while the subscriber is down the bus reports unhealthy and, on reconnect, asks listeners
 * to resync (drop caches, catch up from the database).
 */
import { Redis } from 'ioredis';
import type { BusMessage, EventBus } from '../../app/ports.ts';

type Unsubscribe = () => Promise<void>;
type JsonHandler = (m: BusMessage) => void;
type BytesHandler = (payload: Uint8Array) => void;

export class RedisBus implements EventBus {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly prefix: string;
  // Keyed by the Redis channel (prefix included), so a delivery is looked up without re-slicing.
  // Together they are the truth of what this instance subscribes to: each (re)connect restores it.
  private readonly jsonHandlers = new Map<string, Set<JsonHandler>>();
  private readonly bytesHandlers = new Map<string, Set<BytesHandler>>();
  private readonly resyncListeners: Array<() => void> = [];
  private readonly healthyWaiters: Array<() => void> = [];
  private readonly onError: (err: unknown) => void;
  private subscriberReady = false;
  private everReady = false;
  private connections = 0;

  constructor(url: string, prefix: string, onError: (err: unknown) => void) {
    this.prefix = prefix;
    this.onError = onError;
    // Publishing fails fast while Redis is away (no offline queue): the outbox keeps the event
    // and its relay publishes it later, instead of a request waiting on a dead connection.
    this.pub = new Redis(url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectionName: 'collab-docs:pub',
    });
    // The subscriber queues SUBSCRIBE commands until connected. It re-subscribes itself after a
    // reconnect (not ioredis's autoResubscribe): ioredis emits 'ready' before its re-SUBSCRIBE is
    // acknowledged and forgets channels whose SUBSCRIBE failed during the outage.
    this.sub = new Redis(url, {
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      autoResubscribe: false,
      connectionName: 'collab-docs:sub',
    });
    this.pub.on('error', onError);
    this.sub.on('error', onError);
    this.sub.on('ready', () => void this.resubscribe());
    this.sub.on('close', () => {
      this.subscriberReady = false;
    });
    // Only 'messageBuffer' is listened to: with no 'message' listener ioredis does not decode
    // every payload to a string, which for binary updates would be wasted (and lossy) work.
    this.sub.on('messageBuffer', (channel: Buffer, payload: Buffer | null) =>
      this.dispatch(channel.toString(), payload ?? EMPTY),
    );
  }

  get healthy(): boolean {
    return this.subscriberReady;
  }

  /** Healthy only once every channel is subscribed again: until then messages may be missed. */
  private async resubscribe(): Promise<void> {
    const connection = ++this.connections;
    const channels = new Set([...this.jsonHandlers.keys(), ...this.bytesHandlers.keys()]);
    try {
      if (channels.size > 0) await this.sub.subscribe(...channels);
    } catch (err) {
      this.onError(err); // The connection dropped again; its next 'ready' retries.
      return;
    }
    if (connection !== this.connections || this.sub.status !== 'ready') return;
    this.subscriberReady = true;
    for (const resolve of this.healthyWaiters.splice(0)) resolve();
    if (this.everReady) {
      for (const listener of this.resyncListeners) {
        try {
          listener();
        } catch (err) {
          this.onError(err);
        }
      }
    }
    this.everReady = true;
  }

  private dispatch(channel: string, payload: Buffer): void {
    const bytesHandlers = this.bytesHandlers.get(channel);
    if (bytesHandlers) {
      // A plain Uint8Array over ioredis's buffer, not the Buffer itself: Buffer#slice returns a
      // view where Uint8Array#slice copies, and handlers are written against Uint8Array.
      const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
      for (const handler of bytesHandlers) {
        try {
          handler(bytes);
        } catch (err) {
          this.onError(err);
        }
      }
    }
    const jsonHandlers = this.jsonHandlers.get(channel);
    if (!jsonHandlers) return;
    let message: BusMessage;
    try {
      message = JSON.parse(payload.toString()) as BusMessage;
    } catch (err) {
      this.onError(err);
      return;
    }
    for (const handler of jsonHandlers) {
      try {
        handler(message);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  async publish(channel: string, message: BusMessage): Promise<void> {
    await this.pub.publish(this.prefix + channel, JSON.stringify(message));
  }

  subscribe(channel: string, handler: JsonHandler): Promise<Unsubscribe> {
    return this.listen(this.jsonHandlers, channel, handler);
  }

  async publishBytes(channel: string, payload: Uint8Array): Promise<void> {
    // A Buffer view over the caller's bytes (no copy). ioredis sends only Buffer arguments as
    // bytes: a plain Uint8Array would be stringified to "1,2,3".
    await this.pub.publish(this.prefix + channel, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
  }

  subscribeBytes(channel: string, handler: BytesHandler): Promise<Unsubscribe> {
    return this.listen(this.bytesHandlers, channel, handler);
  }

  /** SUBSCRIBEs when a channel gets its first handler of either kind; UNSUBSCRIBEs after its last. */
  private async listen<H>(handlers: Map<string, Set<H>>, channel: string, handler: H): Promise<Unsubscribe> {
    const key = this.prefix + channel;
    const first = !this.listening(key);
    let set = handlers.get(key);
    if (!set) {
      set = new Set();
      handlers.set(key, set);
    }
    set.add(handler);
    const leave = (): boolean => {
      if (handlers.get(key) !== set || !set.delete(handler)) return false; // Already left, or closed.
      if (set.size === 0) handlers.delete(key);
      return !this.listening(key);
    };
    if (first) {
      try {
        await this.sub.subscribe(key);
      } catch (err) {
        // Forget the handler so that the caller can simply try again (the channel is not subscribed).
        leave();
        throw err;
      }
    }
    return async () => {
      if (leave()) await this.sub.unsubscribe(key);
    };
  }

  private listening(key: string): boolean {
    return this.jsonHandlers.has(key) || this.bytesHandlers.has(key);
  }

  onResync(listener: () => void): void {
    this.resyncListeners.push(listener);
  }

  /** Resolves once both connections are ready and every channel is subscribed (start-up). */
  async ready(): Promise<void> {
    const pubReady =
      this.pub.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => this.pub.once('ready', resolve));
    const subReady = this.subscriberReady
      ? Promise.resolve()
      : new Promise<void>((resolve) => this.healthyWaiters.push(resolve));
    await Promise.all([pubReady, subReady]);
  }

  async ping(): Promise<void> {
    await this.pub.ping();
  }

  async close(): Promise<void> {
    this.jsonHandlers.clear();
    this.bytesHandlers.clear();
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
  }
}

const EMPTY = Buffer.alloc(0);
