/** Starts tracing and installs the ESM loader hook the instrumentations need; the application is imported only afterwards. */
import { register } from 'node:module';
import { startTracing, type Tracing, type TracingOptions } from './tracing.ts';

/** import-in-the-middle's loader, re-exported by @opentelemetry/instrumentation so its copy is the one the instrumentations use. */
export const LOADER_HOOK = '@opentelemetry/instrumentation/hook.mjs';

/**
 * CommonJS packages (pg, ioredis) are patched through `require` even when imported from ESM, but
 * ESM bindings (`import { request } from 'node:http'`) can only be rewritten by a loader hook as the
 * module is linked, so both must be in place before the first `import` of an instrumented module:
 *
 *   const tracing = await registerInstrumentation(opts);
 *   await import('../main.ts');
 *
 * The hook intercepts only the modules the instrumentations patch (`include`), so the rest of the
 * graph, our own `.ts` files included, loads untouched.
 */
export async function registerInstrumentation(opts: TracingOptions): Promise<Tracing> {
  const tracing = startTracing(opts);
  register(LOADER_HOOK, import.meta.url, { data: { include: tracing.instrumentedModules } });
  return tracing;
}
