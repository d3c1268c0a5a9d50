/**
 * `serve` with SYNC_PROCESSES > 1: the entry process becomes a small supervisor that forks N
 * children running the normal server, each listening on the same port with SO_REUSEPORT (the
 * kernel spreads new connections over them), restarts a child that dies (with backoff), forwards
 * SIGTERM/SIGINT so every child drains (sync sockets closed 1012), and exits when they have.
 *
 * Each child is a full instance on the bus (own instance id, rooms, seat-ledger entry), exactly
 * like another pod of a shard group (spec S10.1), so a hot document's sockets use more than one
 * core with no new code in the sync core. Built on node:cluster only for `fork` + IPC +
 * `cluster.isWorker`: children listen with `exclusive: true`, so the supervisor never holds or
 * round-robins the listening socket (that would put every connection through one process again).
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import client from 'prom-client';
import { ClusterMetrics } from './cluster-metrics.ts';

/** Child → supervisor once it listens (resets the restart backoff). */
export const CHILD_LISTENING = 'collab-docs:listening';

/** First restart delay; doubles per crash of a child that had not stayed up RESTART_RESET_MS. */
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 30_000;
const RESTART_RESET_MS = 60_000;

export type SupervisorOptions = {
  processes: number;
  logger: Logger;
  /** Children get this long to drain after SIGTERM (SHUTDOWN_TIMEOUT_MS), then SIGKILL. */
  shutdownTimeoutMs: number;
  /** Environment added to the children's (the supervisor already built the web app). */
  childEnv?: Record<string, string>;
};

export type Supervisor = {
  /** Resolves with the exit code once every child has exited after a stop. */
  readonly stopped: Promise<number>;
  stop(signal: string): void;
};

export function startSupervisor(opts: SupervisorOptions): Supervisor {
  const log = opts.logger.child({ component: 'supervisor' });
  const registry = new client.Registry();
  registry.setDefaultLabels({ service: 'collab-docs' });
  const alive = new client.Gauge({
    name: 'supervisor_children',
    help: 'Server processes of this pod that are listening (SYNC_PROCESSES)',
    registers: [registry],
  });
  const configured = new client.Gauge({
    name: 'supervisor_children_configured',
    help: 'Server processes this pod should run (SYNC_PROCESSES resolved)',
    registers: [registry],
  });
  const restarts = new client.Counter({
    name: 'supervisor_child_restarts_total',
    help: 'Server processes restarted after a crash',
    registers: [registry],
  });
  configured.set(opts.processes);

  const slots = new Map<number, Worker>();
  const listening = new Set<Worker>();
  const failures = new Map<number, number>(); // slot → crashes in a row
  const timers = new Set<NodeJS.Timeout>();
  const metrics = new ClusterMetrics(registry, () => slots);
  let stopping = false;
  let exitCode = 0;
  let resolveStopped: (code: number) => void = () => undefined;
  const stopped = new Promise<number>((r) => {
    resolveStopped = r;
  });

  const fork = (slot: number) => {
    const worker = cluster.fork({ ...opts.childEnv });
    const startedAt = Date.now();
    slots.set(slot, worker);
    log.info({ event: 'child_started', slot, pid: worker.process.pid }, 'server process started');
    worker.on('message', (message: { type?: string }) => {
      if (metrics.handle(worker, message)) return;
      if (message?.type === CHILD_LISTENING) {
        listening.add(worker);
        alive.set(listening.size);
        log.info({ event: 'child_listening', slot, pid: worker.process.pid }, 'server process listening');
      }
    });
    worker.on('exit', (code, signal) => {
      listening.delete(worker);
      alive.set(listening.size);
      if (slots.get(slot) === worker) slots.delete(slot);
      const cause = stopping ? 'stop' : 'crash';
      const fields = { event: 'child_exited', slot, pid: worker.process.pid, code, signal, cause };
      if (stopping) {
        if (code !== 0) exitCode = 1;
        log.info(fields, 'server process exited');
        if (slots.size === 0) finish();
        return;
      }
      // A child up for a while crashed for a new reason: restart at once-ish; a crash loop backs off.
      const inARow = Date.now() - startedAt > RESTART_RESET_MS ? 1 : (failures.get(slot) ?? 0) + 1;
      failures.set(slot, inARow);
      const delayMs = Math.min(RESTART_MAX_MS, RESTART_MIN_MS * 2 ** (inARow - 1));
      log.error({ ...fields, restartInMs: delayMs, crashesInARow: inARow }, 'server process died; restarting');
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (stopping) return;
        restarts.inc();
        log.info({ event: 'child_restarted', slot }, 'restarting server process');
        fork(slot);
      }, delayMs);
      timers.add(timer);
    });
  };

  const finish = () => {
    log.info({ event: 'supervisor_stopped', exitCode }, 'every server process has exited');
    resolveStopped(exitCode);
  };

  for (let slot = 0; slot < opts.processes; slot++) fork(slot);
  log.info({ event: 'supervisor_started', processes: opts.processes }, 'supervising server processes');

  return {
    stopped,
    stop(signal) {
      if (stopping) {
        // A second signal: do not wait for the drain.
        log.warn({ signal }, 'second signal: killing server processes');
        for (const w of slots.values()) w.process.kill('SIGKILL');
        return;
      }
      stopping = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      log.info({ signal, processes: slots.size }, 'signal received: draining server processes');
      if (slots.size === 0) return finish();
      // Children drain on SIGTERM whichever signal we got (a terminal's ^C reaches them too; they ignore SIGINT).
      for (const w of slots.values()) w.process.kill('SIGTERM');
      const deadline = setTimeout(() => {
        log.error({ timeoutMs: opts.shutdownTimeoutMs }, 'server processes did not drain in time; killing them');
        exitCode = 1;
        for (const w of slots.values()) w.process.kill('SIGKILL');
      }, opts.shutdownTimeoutMs + 5_000);
      deadline.unref();
    },
  };
}
