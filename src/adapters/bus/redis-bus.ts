/**
 * Redis pub/sub event bus: one connection publishes, one subscribes. Pub/sub is at-most-once,
 * so while the subscriber is down the bus reports unhealthy and, on reconnect, asks listeners
 * to resync (drop caches, catch up from the database).
 */
import { Redis } from 'ioredis';
import type { BusMessage, EventBus } from '../../app/ports.ts';

export class RedisBus implements EventBus {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly prefix: string;
  private readonly handlers = new Map<string, Set<(m: BusMessage) => void>>();
  private readonly resyncListeners: Array<() => void> = [];
  private readonly onError: (err: unknown) => void;
  private subscriberReady = false;
  private everReady = false;

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
    // The subscriber queues SUBSCRIBE commands until connected, and re-subscribes after a reconnect.
    this.sub = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, connectionName: 'collab-docs:sub' });
    this.pub.on('error', onError);
    this.sub.on('error', onError);
    this.sub.on('ready', () => {
      this.subscriberReady = true;
      if (this.everReady) for (const l of this.resyncListeners) l();
      this.everReady = true;
    });
    this.sub.on('close', () => {
      this.subscriberReady = false;
    });
    this.sub.on('message', (channel: string, raw: string) => this.dispatch(channel, raw));
  }

  get healthy(): boolean {
    return this.subscriberReady;
  }

  private dispatch(channel: string, raw: string): void {
    const set = this.handlers.get(channel.slice(this.prefix.length));
    if (!set) return;
    let message: BusMessage;
    try {
      message = JSON.parse(raw) as BusMessage;
    } catch (err) {
      this.onError(err);
      return;
    }
    for (const handler of set) {
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

  async subscribe(channel: string, handler: (m: BusMessage) => void): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      await this.sub.subscribe(this.prefix + channel);
    }
    set.add(handler);
    return async () => {
      set.delete(handler);
      if (set.size === 0 && this.handlers.get(channel) === set) {
        this.handlers.delete(channel);
        await this.sub.unsubscribe(this.prefix + channel);
      }
    };
  }

  onResync(listener: () => void): void {
    this.resyncListeners.push(listener);
  }

  /** Resolves once both connections are ready (start-up). */
  async ready(): Promise<void> {
    const ready = (c: Redis) =>
      c.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => c.once('ready', () => resolve()));
    await Promise.all([ready(this.pub), ready(this.sub)]);
  }

  async ping(): Promise<void> {
    await this.pub.ping();
  }

  async close(): Promise<void> {
    this.handlers.clear();
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
  }
}
