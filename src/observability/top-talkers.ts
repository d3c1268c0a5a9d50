/**
 * Top talkers: the busiest workspaces and documents (HTTP requests, throttled requests, bytes
 * received over sync sockets, open sockets) at bounded cardinality, so "who is hurting us" is one
 * query: `topk(10, top_talker_workspace_requests)`.
 *
 * Flows are counted per one-minute window in a Space-Saving sketch (Metwally, Agrawal, El Abbadi,
 * "Efficient Computation of Frequent and Top-k Elements in Data Streams", 2005): at most
 * `capacity` keys are tracked, and any key whose true count exceeds total/capacity is guaranteed
 * to be among them, with an over-estimate bounded by `error`. Hand-rolled because it is ~40 lines
 * and the npm sketches are unmaintained or pull in far more (count-min, HyperLogLog). The gauges
 * show the last complete window, top N only: at most N labelled series per family and instance.
 * Open sockets are a level, not a flow: counted exactly per document (bounded by open rooms)
 * and ranked at scrape time.
 */
import client from 'prom-client';

export type Talker = { id: string; count: number; error: number };

/** Space-Saving: a Map for O(1) hits; replacing the minimum is O(capacity), only for a new key when full. */
export class SpaceSaving {
  private readonly counts = new Map<string, { count: number; error: number }>();
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  offer(key: string, weight = 1): void {
    const entry = this.counts.get(key);
    if (entry) {
      entry.count += weight;
      return;
    }
    if (this.counts.size < this.capacity) {
      this.counts.set(key, { count: weight, error: 0 });
      return;
    }
    let minKey: string | undefined;
    let min = Number.POSITIVE_INFINITY;
    for (const [k, v] of this.counts) {
      if (v.count < min) {
        min = v.count;
        minKey = k;
      }
    }
    this.counts.delete(minKey as string);
    this.counts.set(key, { count: min + weight, error: min });
  }

  top(n: number): Talker[] {
    return [...this.counts]
      .map(([id, v]) => ({ id, count: v.count, error: v.error }))
      .sort((a, b) => b.count - a.count || a.id.localeCompare(b.id))
      .slice(0, n);
  }
}

export const FLOWS = ['workspaceRequests', 'workspaceThrottled', 'documentRequests', 'documentReceivedBytes'] as const;
export type Flow = (typeof FLOWS)[number];

export type TopTalkersOptions = {
  /** Series per family (and entries per list in the operator view). */
  n: number;
  /** Keys tracked per sketch; larger is more exact. */
  capacity: number;
  windowMs: number;
  now?: () => number;
};

export type TopTalkersView = {
  windowSeconds: number;
  /** Start of the window the flows cover (the last complete one), ISO 8601. */
  windowStart: string | null;
  workspaces: { requests: Talker[]; throttled: Talker[] };
  documents: { requests: Talker[]; receivedBytes: Talker[]; sockets: Array<{ id: string; count: number }> };
};

const FAMILY: Record<Flow, { name: string; label: string; help: string }> = {
  workspaceRequests: {
    name: 'top_talker_workspace_requests',
    label: 'workspace',
    help: 'HTTP requests of the busiest workspaces in the last complete minute (top N, Space-Saving estimate)',
  },
  workspaceThrottled: {
    name: 'top_talker_workspace_throttled_requests',
    label: 'workspace',
    help: 'Requests answered 429 per workspace in the last complete minute: who is being limited (top N)',
  },
  documentRequests: {
    name: 'top_talker_document_requests',
    label: 'document',
    help: 'HTTP requests of the busiest documents in the last complete minute (top N, Space-Saving estimate)',
  },
  documentReceivedBytes: {
    name: 'top_talker_document_received_bytes',
    label: 'document',
    help: 'Bytes received from sync sockets per document in the last complete minute (top N, Space-Saving estimate)',
  },
};

const WORKSPACE_ROUTE = /\/workspaces\/:id(\/|$)/;
const DOCUMENT_ROUTE = /\/documents\/:id(\/|$)/;

export class TopTalkers {
  private readonly opts: TopTalkersOptions;
  private readonly now: () => number;
  private current = new Map<Flow, SpaceSaving>();
  private previous = new Map<Flow, SpaceSaving>();
  private windowStartedAt: number;
  private previousStartedAt: number | null = null;
  private readonly sockets = new Map<string, number>();

  constructor(registry: client.Registry | undefined, opts: TopTalkersOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.windowStartedAt = this.now();
    if (!registry) return;
    const self = this;
    for (const flow of FLOWS) {
      const family = FAMILY[flow];
      new client.Gauge({
        name: family.name,
        help: family.help,
        labelNames: [family.label],
        registers: [registry],
        collect() {
          // Reset first: a key that left the top N must not linger as a stale series.
          this.reset();
          for (const t of self.top(flow)) this.set({ [family.label]: t.id }, t.count);
        },
      });
    }
    new client.Gauge({
      name: 'top_talker_document_sockets',
      help: 'Open sync sockets of the documents with the most, on this instance (top N)',
      labelNames: ['document'],
      registers: [registry],
      collect() {
        this.reset();
        for (const t of self.topSockets()) this.set({ document: t.id }, t.count);
      },
    });
  }

  /** Moves to a new window when the current one is over; a gap longer than a window empties both. */
  private roll(): void {
    const now = this.now();
    const elapsed = now - this.windowStartedAt;
    if (elapsed < this.opts.windowMs) return;
    const windows = Math.floor(elapsed / this.opts.windowMs);
    const start = this.windowStartedAt + windows * this.opts.windowMs;
    if (windows === 1) {
      this.previous = this.current;
      this.previousStartedAt = this.windowStartedAt;
    } else {
      this.previous = new Map();
      this.previousStartedAt = start - this.opts.windowMs;
    }
    this.current = new Map();
    this.windowStartedAt = start;
  }

  count(flow: Flow, id: string, weight = 1): void {
    this.roll();
    let sketch = this.current.get(flow);
    if (!sketch) {
      sketch = new SpaceSaving(this.opts.capacity);
      this.current.set(flow, sketch);
    }
    sketch.offer(id, weight);
  }

  /**
   * One HTTP response: attributed to the workspace and the document its route names (route
   * templates `/workspaces/:id…` and `/documents/:id…`); a 429 also counts against the workspace.
   */
  request(route: string, params: unknown, status: number): void {
    const id = (params as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string') return;
    if (WORKSPACE_ROUTE.test(route)) {
      this.count('workspaceRequests', id);
      if (status === 429) this.count('workspaceThrottled', id);
    } else if (DOCUMENT_ROUTE.test(route)) {
      this.count('documentRequests', id);
    }
  }

  socketOpened(documentId: string): void {
    this.sockets.set(documentId, (this.sockets.get(documentId) ?? 0) + 1);
  }

  socketClosed(documentId: string): void {
    const n = (this.sockets.get(documentId) ?? 0) - 1;
    if (n > 0) this.sockets.set(documentId, n);
    else this.sockets.delete(documentId);
  }

  /** The last complete window's top N of one flow. */
  top(flow: Flow): Talker[] {
    this.roll();
    return this.previous.get(flow)?.top(this.opts.n) ?? [];
  }

  /** O(open documents) at scrape time; the hot path only touches one Map entry. */
  topSockets(): Array<{ id: string; count: number }> {
    const top: Array<{ id: string; count: number }> = [];
    for (const [id, count] of this.sockets) {
      if (top.length < this.opts.n || count > (top.at(-1)?.count ?? 0)) {
        top.push({ id, count });
        top.sort((a, b) => b.count - a.count || a.id.localeCompare(b.id));
        if (top.length > this.opts.n) top.pop();
      }
    }
    return top;
  }

  view(): TopTalkersView {
    this.roll();
    return {
      windowSeconds: this.opts.windowMs / 1000,
      windowStart: this.previousStartedAt === null ? null : new Date(this.previousStartedAt).toISOString(),
      workspaces: { requests: this.top('workspaceRequests'), throttled: this.top('workspaceThrottled') },
      documents: {
        requests: this.top('documentRequests'),
        receivedBytes: this.top('documentReceivedBytes'),
        sockets: this.topSockets(),
      },
    };
  }
}
