/** Decorates any EventBus with message counts by direction and type, for every adapter alike. */
import type { BusMessage, EventBus } from '../../app/ports.ts';
import type { Metrics } from '../../observability/metrics.ts';

export function meteredBus(bus: EventBus, metrics: Metrics): EventBus {
  const count = (direction: 'in' | 'out', m: BusMessage) =>
    metrics.busMessages.inc({ direction, type: typeof m.type === 'string' ? m.type : 'unknown' });
  // Bound once: binary messages flow per keystroke, so no label object is built per message.
  const bytesMessagesOut = metrics.busMessages.labels({ direction: 'out', type: 'bytes' });
  const bytesMessagesIn = metrics.busMessages.labels({ direction: 'in', type: 'bytes' });
  const bytesOut = metrics.busBytes.labels({ direction: 'out' });
  const bytesIn = metrics.busBytes.labels({ direction: 'in' });
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
    async publishBytes(channel, payload) {
      await bus.publishBytes(channel, payload);
      bytesMessagesOut.inc();
      bytesOut.inc(payload.byteLength);
    },
    subscribeBytes(channel, handler) {
      return bus.subscribeBytes(channel, (payload) => {
        bytesMessagesIn.inc();
        bytesIn.inc(payload.byteLength);
        handler(payload);
      });
    },
    onResync: (listener) => bus.onResync(listener),
    ping: () => bus.ping(),
    close: () => bus.close(),
  };
}
