/** In-process event bus for the embedded single-process mode. */
import type { BusMessage, EventBus } from '../../app/ports.ts';

export class MemoryBus implements EventBus {
  private readonly handlers = new Map<string, Set<(m: BusMessage) => void>>();
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

  async subscribe(channel: string, handler: (m: BusMessage) => void): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    set.add(handler);
    return async () => {
      set.delete(handler);
      if (set.size === 0) this.handlers.delete(channel);
    };
  }

  onResync(_listener: () => void): void {
    // A single process never misses its own events.
  }

  async ping(): Promise<void> {
    // Always reachable: it lives in this process.
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
