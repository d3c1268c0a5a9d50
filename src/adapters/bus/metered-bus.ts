/** Decorates any EventBus with message counts by direction and type, for every adapter alike. */
import type { BusMessage, EventBus } from '../../app/ports.ts';
import type { Metrics } from '../../observability/metrics.ts';

export function meteredBus(bus: EventBus, metrics: Metrics): EventBus {
  const count = (direction: 'in' | 'out', m: BusMessage) =>
    metrics.busMessages.inc({ direction, type: typeof m.type === 'string' ? m.type : 'unknown' });
  return {
    get healthy() {
      return bus.healthy;
    },
    async publish(channel, message) {
      await bus.publish(channel, message);
      count('out', message);
    },
    subscribe(channel, handler) {
      return bus.subscribe(channel, (m) => {
        count('in', m);
        handler(m);
      });
    },
    onResync: (listener) => bus.onResync(listener),
    ping: () => bus.ping(),
    close: () => bus.close(),
  };
}
