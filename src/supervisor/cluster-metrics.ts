/**
 * `/metrics` when several processes share one port (SYNC_PROCESSES > 1): whichever child the
 * kernel hands the scrape to asks the supervisor, which collects every child's registry over IPC
 * and answers with all of them, each series labelled `process="<slot>"` (the supervisor's own as
 * `process="supervisor"`).
 *
 * Why this and not a metrics port per child: the pod keeps one scrape target and one PodMonitor,
 * and a scrape still sees the whole pod — a per-child port needs N scrape targets declared up
 * front, and `SYNC_PROCESSES=auto` decides N at start. Why labels and not prom-client's summing
 * `AggregatorRegistry.clusterMetrics()`: sums hide the one hot process and mangle gauges (event
 * loop lag, heap), and that path answers for prom-client's global registry, which we do not use.
 * Per-process series still sum honestly in PromQL (`sum without (process)`). prom-client's
 * `AggregatorRegistry.aggregate` does the merging of HELP/TYPE and families; with the label added
 * every series is unique, so the `first` aggregator keeps each value exactly.
 */
import type { Worker } from 'node:cluster';
import client from 'prom-client';

const REQUEST = 'collab-docs:metrics-request'; // child → supervisor: I was scraped
const COLLECT = 'collab-docs:metrics-collect'; // supervisor → each child: your registry, please
const REPORT = 'collab-docs:metrics-report'; // child → supervisor: my registry as JSON
const RESULT = 'collab-docs:metrics-result'; // supervisor → scraped child: the exposition text

/** How long a scrape waits for the supervisor, and the supervisor for each child. */
export const CHILD_METRICS_TIMEOUT_MS = 3_000;

type Message = {
  type?: string;
  id?: number;
  text?: string;
  error?: string;
  metrics?: client.MetricObjectWithValues<client.MetricValue<string>>[];
};

/**
 * Child side: answers the supervisor's collection rounds with `registry`, and returns the scrape
 * function `/metrics` uses instead of its own registry (the whole pod, labelled by process).
 */
export function childMetrics(registry: client.Registry): () => Promise<string> {
  let nextId = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
  process.on('message', (raw: Message) => {
    if (raw?.type === COLLECT) {
      registry.getMetricsAsJSON().then(
        (metrics) => process.send?.({ type: REPORT, id: raw.id, metrics }),
        () => process.send?.({ type: REPORT, id: raw.id, metrics: [] }),
      );
    } else if (raw?.type === RESULT && raw.id !== undefined) {
      const w = waiting.get(raw.id);
      waiting.delete(raw.id);
      if (raw.error !== undefined) w?.reject(new Error(raw.error));
      else w?.resolve(raw.text ?? '');
    }
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      // A scrape that cannot see the pod fails (500) rather than passing one process off as all of them.
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the supervisor did not answer the metrics request'));
      }, CHILD_METRICS_TIMEOUT_MS * 2);
      waiting.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      process.send?.({ type: REQUEST, id });
    });
}

/** Supervisor side: collects every live child's registry and answers scrapes relayed by a child. */
export class ClusterMetrics {
  private nextRound = 0;
  private readonly rounds = new Map<number, (worker: Worker, metrics: Message['metrics']) => void>();

  private readonly own: client.Registry;
  /** The live children by slot. */
  private readonly children: () => ReadonlyMap<number, Worker>;

  constructor(own: client.Registry, children: () => ReadonlyMap<number, Worker>) {
    this.own = own;
    this.children = children;
  }

  /** Feed every message from a child here; returns whether it was ours. */
  handle(worker: Worker, message: Message): boolean {
    if (message?.type === REPORT && message.id !== undefined) {
      this.rounds.get(message.id)?.(worker, message.metrics);
      return true;
    }
    if (message?.type === REQUEST && message.id !== undefined) {
      const id = message.id;
      this.exposition().then(
        (text) => worker.isConnected() && worker.send({ type: RESULT, id, text }),
        (err: Error) => worker.isConnected() && worker.send({ type: RESULT, id, error: err.message }),
      );
      return true;
    }
    return false;
  }

  /** Every child's metrics (a child that does not answer in time is left out) and the supervisor's. */
  async exposition(): Promise<string> {
    const children = [...this.children()].filter(([, w]) => w.isConnected());
    const round = this.nextRound++;
    const reports = new Map<Worker, NonNullable<Message['metrics']>>();
    await new Promise<void>((done) => {
      const timer = setTimeout(done, CHILD_METRICS_TIMEOUT_MS);
      this.rounds.set(round, (worker, metrics) => {
        reports.set(worker, metrics ?? []);
        if (reports.size === children.length) {
          clearTimeout(timer);
          done();
        }
      });
      if (children.length === 0) {
        clearTimeout(timer);
        done();
      }
      for (const [, w] of children) w.send({ type: COLLECT, id: round });
    });
    this.rounds.delete(round);
    const labelled = [
      labelWith(await this.own.getMetricsAsJSON(), 'supervisor'),
      ...children.flatMap(([slot, w]) => {
        const metrics = reports.get(w);
        return metrics ? [labelWith(metrics, String(slot))] : [];
      }),
    ];
    return client.AggregatorRegistry.aggregate(labelled).metrics();
  }
}

/** Adds `process` to every series; each series is then unique, so `first` keeps its value as it is. */
function labelWith(metrics: NonNullable<Message['metrics']>, processLabel: string) {
  return metrics.map((m) => ({
    ...m,
    aggregator: 'first' as const,
    values: m.values.map((v) => ({ ...v, labels: { ...v.labels, process: processLabel } })),
  }));
}
