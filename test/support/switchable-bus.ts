/**
 * The in-process bus with a switch to simulate a bus that cannot promise delivery (Redis down):
 * the caches that events keep honest must step aside while it is down and start empty after
 * `reconnect()` ([P4], [P4.1], [P11]).
 */
import { MemoryBus } from '../../src/adapters/bus/memory-bus.ts';
import type { EventBus } from '../../src/app/ports.ts';

export class SwitchableBus extends MemoryBus implements EventBus {
  up = true;
  private listeners: Array<() => void> = [];
  override get healthy(): boolean {
    return this.up;
  }
  override onResync(listener: () => void): void {
    this.listeners.push(listener);
  }
  reconnect(): void {
    this.up = true;
    for (const l of this.listeners) l();
  }
}
