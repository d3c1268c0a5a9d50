/**
 * `collab-docs` command line: `serve` (roles api, sync, worker; all by default), `migrate`,
 * `keys rotate`. Tracing is registered before the application modules are imported so the
 * pg/ioredis/http instrumentations can patch them.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/config.ts';
import type { TraceSamplingStats } from './observability/metrics.ts';

const USAGE = `Usage: collab-docs <command> [options]

Commands:
  serve [--role api,sync,worker]   start the server (all roles by default; env ROLES)
  migrate                          apply pending database migrations and exit
  keys rotate                      create a new signing key and retire the current one

Configuration comes from the environment; see .env.example.`;

/** `npm start` on a fresh clone: build the web app first when its sources changed. A failed build is not fatal. */
async function buildWebApp(dir: string | undefined, logger: import('pino').Logger): Promise<void> {
  const { buildWebIfStale, DEFAULT_WEB_DIR } = await import('./web/web-build.ts');
  try {
    const result = await buildWebIfStale(dir ?? DEFAULT_WEB_DIR, (msg) => logger.info(msg));
    if (result.built) logger.info({ durationMs: result.durationMs, reason: result.reason }, 'web app built');
  } catch (err) {
    logger.error({ err }, 'web app build failed; serving the previous build if there is one');
  }
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { role: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, sub] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(values.role ? { ...process.env, ROLES: values.role } : process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 78; // EX_CONFIG
    }
    throw err;
  }

  if (command === 'serve') {
    // OpenTelemetry runs when there is somewhere to send spans; without an endpoint, requests
    // still get W3C trace ids in their logs (src/http/trace-context.ts) at a fraction of the cost.
    let tracing: { shutdown(): Promise<void>; samplingStats(): TraceSamplingStats | undefined } | undefined;
    if (config.tracing.otlpEndpoint) {
      const { registerInstrumentation } = await import('./observability/register.ts');
      tracing = await registerInstrumentation({
        serviceName: 'collab-docs',
        otlpEndpoint: config.tracing.otlpEndpoint,
        sampleRatio: config.tracing.sampleRatio,
        slowMs: config.tracing.slowMs,
      });
    }
    const { createLogger } = await import('./observability/logger.ts');
    const logger = createLogger({ level: config.logLevel, service: 'collab-docs' });
    if (config.roles.includes('api') && config.web.build === 'auto') await buildWebApp(config.web.dir, logger);
    const { createApp } = await import('./main.ts');
    const app = await createApp(config, { logger, traceSamplingStats: tracing && (() => tracing?.samplingStats()) });
    await app.listen();
    let signals = 0;
    const stop = (signal: string) => {
      signals++;
      if (signals > 1) {
        app.logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      app.logger.info({ signal }, 'signal received');
      const deadline = setTimeout(() => {
        app.logger.error({ timeoutMs: config.shutdown.timeoutMs }, 'shutdown timed out; exiting');
        process.exit(1);
      }, config.shutdown.timeoutMs);
      deadline.unref();
      app
        .close()
        .then(() => tracing?.shutdown())
        .then(() => process.exit(0))
        .catch((err: unknown) => {
          app.logger.error({ err }, 'shutdown failed');
          process.exit(1);
        });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('unhandledRejection', (err) => app.logger.error({ err }, 'unhandled rejection'));
    return -1; // keep running
  }

  if (command === 'migrate' || (command === 'keys' && sub === 'rotate')) {
    const { openDatabase } = await import('./adapters/sql/database.ts');
    const { migrateToLatest } = await import('./adapters/sql/migrator.ts');
    const { Metrics } = await import('./observability/metrics.ts');
    const metrics = new Metrics();
    const db = await openDatabase(config, { metrics, logError: (err) => console.error(err) });
    try {
      const applied = await migrateToLatest(db.admin);
      if (command === 'migrate') {
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
      } else {
        const { SigningKeys } = await import('./app/auth/signing-keys.ts');
        const keys = new SigningKeys(db.admin, {
          issuer: config.auth.jwtIssuer,
          audience: config.auth.jwtAudience,
          accessTokenTtlSeconds: config.auth.accessTokenTtlSeconds,
        });
        console.log(`new signing key: ${await keys.rotate()}`);
      }
    } finally {
      await db.close();
      metrics.close();
    }
    return 0;
  }

  console.error(`unknown command: ${[command, sub].filter(Boolean).join(' ')}\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
