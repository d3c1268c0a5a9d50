/**
 * Continuous profiling with the official Pyroscope agent (@pyroscope/nodejs, on @datadog/pprof):
 * wall-clock profiles with CPU time and heap profiles, pushed every flush interval to
 * PYROSCOPE_SERVER_ADDRESS, tagged with the process's roles and labelled with the route being
 * handled. Loaded only when configured, so its native module costs nothing otherwise.
 *
 * Route labels: the agent's labels are process-wide (it does not propagate them along async
 * contexts), so a sample carries the route whose handler most recently started. Synchronous work
 * in a handler — what a CPU flame graph is about — is attributed exactly; time in later async
 * continuations may carry a concurrent request's route.
 */
import { hostname } from 'node:os';

export type ContinuousProfilingOptions = {
  serverAddress: string;
  applicationName: string;
  roles: string[];
  /** How often profiles are pushed (the agent's default is 60 s). */
  flushIntervalMs?: number;
  log?: (msg: string) => void;
};

export type ContinuousProfiler = {
  /** Labels what runs from now on with the route template (e.g. `/api/v1/documents/:id`). */
  routeStarted(route: string): void;
  stop(): Promise<void>;
};

export async function startContinuousProfiling(opts: ContinuousProfilingOptions): Promise<ContinuousProfiler> {
  const { default: Pyroscope } = await import('@pyroscope/nodejs');
  Pyroscope.init({
    serverAddress: opts.serverAddress,
    appName: opts.applicationName,
    flushIntervalMs: opts.flushIntervalMs,
    tags: { role: [...opts.roles].sort().join('+'), hostname: hostname() },
    wall: { collectCpuTime: true },
  });
  Pyroscope.start();
  opts.log?.(`continuous profiling to ${opts.serverAddress} as ${opts.applicationName}`);
  return {
    routeStarted(route) {
      Pyroscope.setWallLabels({ route });
    },
    stop: () => Pyroscope.stop(),
  };
}
