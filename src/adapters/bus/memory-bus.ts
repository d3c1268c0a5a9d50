/** In-process event bus for the embedded single-process mode. */
import type { BusMessage, EventBus } from '../../app/ports.ts';

type Unsubscribe = () => Promise<void>;

export class MemoryBus implements EventBus {
  private readonly handlers = new Map<string, Set<(m: BusMessage) => void>>();
  private readonly bytesHandlers = new Map<string, Set<(payload: Uint8Array) => void>>();
  private readonly onError: (err: unknown) => void;

  constructor(onError: (err: unknown) => void = () => undefined) {
    this.onError = onError;
  }

  get healthy(): boolean {
    return true;
  }

  async publish(channel: string, message: BusMessage): Promise<void> {
    // Copy like a network would, so no subscriber shares objects with the publisher.
    const wire = JSON.stringify(message);
    for (const handler of this.handlers.get(channel) ?? []) {
      try {
        handler(JSON.parse(wire) as BusMessage);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  async subscribe(channel: string, handler: (m: BusMessage) => void): Promise<Unsubscribe> {
    return add(this.handlers, channel, handler);
  }

  async publishBytes(channel: string, payload: Uint8Array): Promise<void> {
    const set = this.bytesHandlers.get(channel);
    if (!set) return;
    // One copy per publish, as a network would make: the publisher may reuse its buffer at once.
    // `new Uint8Array(...)` and not `slice()`, which on a Buffer returns a view, not a copy.
    const copy = new Uint8Array(payload);
    for (const handler of set) {
      try {
        handler(copy);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  async subscribeBytes(channel: string, handler: (payload: Uint8Array) => void): Promise<Unsubscribe> {
    return add(this.bytesHandlers, channel, handler);
  }

  onResync(_listener: () => void): void {
    // A single process never misses its own events.
  }

  async ping(): Promise<void> {
    // Always reachable: it lives in this process.
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.bytesHandlers.clear();
  }
}

function add<H>(handlers: Map<string, Set<H>>, channel: string, handler: H): Unsubscribe {
  let set = handlers.get(channel);
  if (!set) {
    set = new Set();
    handlers.set(channel, set);
  }
  set.add(handler);
  return async () => {
    set.delete(handler);
    if (set.size === 0 && handlers.get(channel) === set) handlers.delete(channel);
  };
}
