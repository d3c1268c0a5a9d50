/**
 * Memory of a server process measured the same way for both peers: through the inspector
 * protocol (the child runs with `--inspect=127.0.0.1:0`), a full GC first, then V8's heapUsed,
 * so a delta over many sockets counts what they hold, not garbage awaiting collection.
 */
export type HeapReader = {
  /** Collects garbage, then returns `process.memoryUsage().heapUsed` of the inspected process. */
  heapUsedAfterGc(): Promise<number>;
  close(): void;
};

export async function connectHeapReader(wsUrl: string): Promise<HeapReader> {
  const ws = new WebSocket(wsUrl);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error(`cannot reach the inspector at ${wsUrl}`)), { once: true });
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.addEventListener('message', (event) => {
    const msg = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
    const p = msg.id === undefined ? undefined : pending.get(msg.id);
    if (!p || msg.id === undefined) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new Error(msg.error.message));
    else p.resolve(msg.result);
  });
  const send = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    async heapUsedAfterGc() {
      await send('HeapProfiler.collectGarbage');
      const r = (await send('Runtime.evaluate', {
        expression: 'process.memoryUsage().heapUsed',
        returnByValue: true,
      })) as { result: { value: number } };
      return r.result.value;
    },
    close: () => ws.close(),
  };
}
