/**
 * Samples the server's CPU over chosen phases only, through the inspector protocol (the server
 * runs with `--inspect=127.0.0.1:0`), so start-up and seeding stay out of the profile.
 */
const DEBUGGER_URL = /Debugger listening on (ws:\/\/\S+)/;
const SAMPLING_INTERVAL_US = 200;

export type PhaseProfiler = {
  start(): Promise<void>;
  /** Stops sampling and returns the `.cpuprofile` JSON. */
  stop(): Promise<unknown>;
  close(): void;
};

/** Finds the inspector's WebSocket URL in the server's output. */
export function debuggerUrlIn(text: string): string | undefined {
  return DEBUGGER_URL.exec(text)?.[1];
}

export async function connectProfiler(wsUrl: string): Promise<PhaseProfiler> {
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
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
  return {
    start: async () => {
      await send('Profiler.start');
    },
    stop: async () => ((await send('Profiler.stop')) as { profile: unknown }).profile,
    close: () => ws.close(),
  };
}
