/**
 * Redis latency and saturation, read from the diagnostics channels ioredis publishes
 * (`ioredis:command`, `ioredis:connect`): every client of the process (bus publisher and
 * subscriber, counters, limiters) is measured without the adapters knowing. Process-wide, like
 * the channels: one RedisMetrics per process that talks to Redis.
 */
import { type TracingChannelSubscribers, tracingChannel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import client from 'prom-client';

/** Sub-millisecond at the bottom: a healthy Redis on the same network answers in ~0.1-0.5 ms. */
const REDIS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Command names are a closed set in our code, but a label must stay bounded whatever a caller sends. */
const MAX_COMMAND_LABELS = 64;

type CommandContext = { command?: string; connectionEpoch?: number };
/** The channels' other events carry nothing we measure. */
const ignore = (): void => undefined;

export class RedisMetrics {
  private readonly duration: client.Histogram<'command' | 'outcome'>;
  private readonly reconnects: client.Counter;
  private readonly started = new WeakMap<object, number>();
  private readonly commandNames = new Set<string>();
  private inFlight = 0;
  private readonly commandSubscribers: TracingChannelSubscribers<CommandContext>;
  private readonly connectSubscribers: TracingChannelSubscribers<CommandContext>;

  constructor(registry: client.Registry) {
    const registers = [registry];
    this.duration = new client.Histogram({
      name: 'redis_command_duration_seconds',
      help: 'Redis command round trip as ioredis sees it (queueing while reconnecting included), by command and outcome',
      labelNames: ['command', 'outcome'],
      buckets: REDIS_BUCKETS,
      registers,
    });
    this.reconnects = new client.Counter({
      name: 'redis_reconnects_total',
      help: 'Connection attempts to Redis after a client lost its connection (all clients of the process)',
      registers,
    });
    this.reconnects.inc(0);
    const self = this;
    new client.Gauge({
      name: 'redis_commands_in_flight',
      help: 'Redis commands sent or queued and not answered yet (saturation: grows when Redis is slow or away)',
      registers,
      collect() {
        this.set(self.inFlight);
      },
    });
    this.commandSubscribers = {
      start: (ctx) => {
        this.inFlight++;
        this.started.set(ctx, performance.now());
      },
      asyncEnd: (ctx) => this.finish(ctx, 'ok'),
      error: (ctx) => this.finish(ctx, 'error'),
      end: ignore,
      asyncStart: ignore,
    };
    this.connectSubscribers = {
      // connectionEpoch counts earlier connections of this client: > 0 is a reconnect.
      start: (ctx) => {
        if ((ctx.connectionEpoch ?? 0) > 0) this.reconnects.inc();
      },
      end: ignore,
      asyncStart: ignore,
      asyncEnd: ignore,
      error: ignore,
    };
    tracingChannel<CommandContext>('ioredis:command').subscribe(this.commandSubscribers);
    tracingChannel<CommandContext>('ioredis:connect').subscribe(this.connectSubscribers);
  }

  private finish(ctx: CommandContext, outcome: 'ok' | 'error'): void {
    const start = this.started.get(ctx);
    // tracePromise publishes `error` and then `asyncEnd` for a rejection: count each command once.
    if (start === undefined) return;
    this.started.delete(ctx);
    this.inFlight--;
    this.duration.observe({ command: this.label(ctx.command), outcome }, (performance.now() - start) / 1000);
  }

  private label(command: string | undefined): string {
    const name = (command ?? 'unknown').toLowerCase();
    if (this.commandNames.has(name)) return name;
    if (this.commandNames.size >= MAX_COMMAND_LABELS) return 'other';
    this.commandNames.add(name);
    return name;
  }

  close(): void {
    tracingChannel<CommandContext>('ioredis:command').unsubscribe(this.commandSubscribers);
    tracingChannel<CommandContext>('ioredis:connect').unsubscribe(this.connectSubscribers);
  }
}
