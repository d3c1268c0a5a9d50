/**
 * `collab-docs` command line: `serve` (roles api, sync, worker; all by default), `migrate`,
 * `keys rotate`, `workspaces set-plan`, `documents quarantined|inspect|repair|release`. Tracing is registered before the application modules are imported so the
 * pg/ioredis/http instrumentations can patch them.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, resolveSyncProcesses } from './config/config.ts';
import type { TraceSamplingStats } from './observability/metrics.ts';

const USAGE = `Usage: collab-docs <command> [options]

Commands:
  serve [--role api,sync,worker]   start the server (all roles by default; env ROLES)
  migrate                          apply pending database migrations and exit
  keys rotate                      create a new signing key and retire the current one
  profile --url URL [--type cpu|heap] [--seconds N] [--out FILE]
                                   profile a live instance (operator API; env OPERATOR_TOKEN)
  loadtest --url URL [--mode fixed|ramp|soak] ...
                                   virtual users against a server (loadtest --help)
  workspaces set-plan <workspaceId> <free|business|enterprise> [--rate-limit <req/s>|none]
                                   set a workspace's plan and request-rate override (operators)
  documents quarantined|inspect|repair|release [<documentId>]
                                   documents whose CRDT data is over budget (operators)

Options:
  -h, --help       show this help, or a command's (collab-docs <command> --help)
  -v, --version    print the version

Configuration comes from the environment; see .env.example.`;

/** `collab-docs <command> --help`: one entry per command. */
const COMMAND_HELP: Record<string, string> = {
  profile: `Usage: collab-docs profile --url http://host:3000 [--type cpu|heap] [--seconds N] [--out FILE] [--top N]
                           [--sort self|total] [--match REGEX]

Takes a CPU or heap profile of a live instance for N seconds (default 10) through its operator
API (env OPERATOR_TOKEN), saves it in pprof format and prints the top functions: by self time
(where the CPU goes), or by total with --sort total --match src/ (which of our functions lead there).`,
  serve: `Usage: collab-docs serve [--role api,sync,worker]

Starts the server: the REST API and web app (api), the real-time WebSocket rooms (sync) and the
export jobs (worker); all three by default. --role (or ROLES) picks some. Stops gracefully on
SIGTERM/SIGINT. With SYNC_PROCESSES > 1 (PostgreSQL and Redis only) it supervises that many
server processes sharing the port. Configuration comes from the environment; see .env.example.`,
  migrate: `Usage: collab-docs migrate

Applies pending database migrations (migrations/*.sql) to DATABASE_URL, or to the embedded
database under DATA_DIR, and exits. Safe to run concurrently: starters wait on a lock.`,
  keys: `Usage: collab-docs keys rotate

Creates a new token signing key and retires the current one; retired keys keep verifying
outstanding tokens for two token lifetimes.`,
  workspaces: `Usage: collab-docs workspaces set-plan <workspaceId> <free|business|enterprise> [--rate-limit <req/s>|none]

Sets a workspace's plan (export quota and request rate) and, with --rate-limit, its request-rate
override in requests per second ("none" clears it). Plans are the operator's: workspace owners
cannot change them. Running servers apply it within RATE_LIMIT_PLAN_CACHE_MS (30 s).`,
  documents: `Usage: collab-docs documents quarantined
       collab-docs documents inspect|repair|release <documentId>

Quarantined documents: their CRDT data would hold the event loop past CRDT_MAIN_BUDGET_MS (or a
rebuild ran past CRDT_WORKER_BUDGET_MS), so sockets are refused with 4423 and reads answer 423.
  quarantined  lists them, newest first, with the reason
  inspect      measures one in a worker (structs, clients, rebuild and load times) and prints its text
  repair       re-creates it from its content as a fresh document (the concurrent history that made it
               expensive is dropped; the text and formatting stay), then releases it
  release      serves it again as it is (a false alarm, or after raising the budgets)
Runs against DATABASE_URL (or the embedded database under DATA_DIR while the server is stopped).`,
};

/** A mistake on the command line: one line on stderr, exit code 2, no stack trace. */
class UsageError extends Error {}

const version = (): string =>
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** `npm start` on a fresh clone: build the web app first when its sources changed. A failed build is not fatal. */
async function buildWebApp(dir: string | undefined, logger: import('pino').Logger): Promise<void> {
  const { buildWebIfStale, DEFAULT_WEB_DIR } = await import('./web/web-build.ts');
  const log = logger.child({ component: 'web-build' });
  try {
    const result = await buildWebIfStale(dir ?? DEFAULT_WEB_DIR, (level, msg) => log[level](msg));
    if (result.built) log.info({ durationMs: result.durationMs, reason: result.reason }, 'web app built');
  } catch (err) {
    // A production install has no Vite: images build the app at image build time (WEB_BUILD=never).
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      log.warn('Vite is not installed (production dependencies only): serving the existing build; set WEB_BUILD=never');
      return;
    }
    log.error({ err }, 'web app build failed; serving the previous build if there is one');
  }
}

async function main(argv: string[]): Promise<number> {
  // Its own options (and no server configuration): parsed by the tool.
  if (argv[0] === 'loadtest') {
    const { runLoadtestCommand, LOADTEST_USAGE } = await import('./tools/loadtest/command.ts');
    if (argv.includes('--help') || argv.includes('-h')) {
      console.log(LOADTEST_USAGE);
      return 0;
    }
    return runLoadtestCommand(argv.slice(1));
  }
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    // node:util's messages name the flag ("Unknown option '--x'"); drop its advice to use "--".
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const { positionals, values } = parsed;
  const [command, sub] = positionals;
  if (values.version) {
    console.log(version());
    return 0;
  }
  if (!command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (!(command in COMMAND_HELP)) throw new UsageError(`unknown command "${command}"`);
  if (values.help) {
    console.log(COMMAND_HELP[command]);
    return 0;
  }
  const subcommands: Record<string, string[]> = {
    keys: ['rotate'],
    workspaces: ['set-plan'],
    documents: ['quarantined', 'inspect', 'repair', 'release'],
  };
  const expected = subcommands[command] ?? [];
  if ((sub === undefined && expected.length > 0) || (sub !== undefined && !expected.includes(sub))) {
    throw new UsageError(
      sub === undefined
        ? `"${command}" needs one of: ${expected.join(', ')}`
        : `unknown argument "${sub}" for "${command}"`,
    );
  }
  // `workspaces set-plan` takes its own arguments (checked by parsePlanChange).
  const takesArguments = command === 'workspaces' || command === 'documents';
  if ((!takesArguments && positionals.length > 2) || (expected.length === 0 && positionals.length > 1)) {
    throw new UsageError(`too many arguments for "${command}"`);
  }
  if (values.role !== undefined && command !== 'serve') throw new UsageError('--role applies to "serve" only');
  if (values['rate-limit'] !== undefined && command !== 'workspaces') {
    throw new UsageError('--rate-limit applies to "workspaces set-plan" only');
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

  if (command === 'profile') {
    const type = values.type ?? 'cpu';
    const seconds = Number(values.seconds ?? 10);
    if (!values.url || (type !== 'cpu' && type !== 'heap') || !Number.isInteger(seconds) || seconds < 1) {
      throw new UsageError('profile needs --url http://host:3000, --type cpu|heap and --seconds N ≥ 1');
    }
    const { runProfileCommand } = await import('./tools/profile-command.ts');
    return runProfileCommand({
      url: values.url,
      type,
      seconds,
      out: values.out,
      top: Number(values.top ?? 15),
      sort: values.sort === 'total' ? 'total' : 'self',
      ...(values.match && { match: new RegExp(values.match) }),
      token: config.ops.operatorToken,
      print: (line) => console.log(line),
    });
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
    // Start-up progress, one line per step (web build, migrations, listening), so a slow first start shows why.
    logger.info({ version: version(), roles: config.roles, node: process.version }, 'starting');
    if (config.roles.includes('api') && config.web.build === 'auto') await buildWebApp(config.web.dir, logger);
    const { default: cluster } = await import('node:cluster');
    const processes = resolveSyncProcesses(config, availableParallelism());
    if (cluster.isPrimary && processes > 1) {
      // SYNC_PROCESSES > 1: this process only supervises; the children run the server (src/supervisor).
      const { startSupervisor } = await import('./supervisor/supervisor.ts');
      const supervisor = startSupervisor({
        processes,
        logger,
        shutdownTimeoutMs: config.shutdown.timeoutMs,
        childEnv: { WEB_BUILD: 'never' }, // built above, once
      });
      process.on('SIGTERM', () => supervisor.stop('SIGTERM'));
      process.on('SIGINT', () => supervisor.stop('SIGINT'));
      supervisor.stopped.then((code) => process.exit(code));
      return -1; // keep running
    }
    const { createApp } = await import('./main.ts');
    let profiler: import('./observability/continuous-profiling.ts').ContinuousProfiler | undefined;
    if (config.ops.pyroscopeServerAddress) {
      const { startContinuousProfiling } = await import('./observability/continuous-profiling.ts');
      profiler = await startContinuousProfiling({
        serverAddress: config.ops.pyroscopeServerAddress,
        applicationName: config.ops.pyroscopeApplicationName,
        roles: config.roles,
        log: (msg) => logger.info(msg),
      });
    }
    const app = await createApp(config, {
      logger,
      traceSamplingStats: tracing && (() => tracing?.samplingStats()),
      onRouteStarted: profiler && ((route) => profiler?.routeStarted(route)),
    });
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
        .then(() => profiler?.stop())
        .then(() => process.exit(0))
        .catch((err: unknown) => {
          app.logger.error({ err }, 'shutdown failed');
          process.exit(1);
        });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    // A supervised child whose supervisor died without forwarding a signal (kill -9, OOM) drains
    // as on SIGTERM [S10.2]: node:cluster would exit it on the spot (clients see 1006, writes in
    // flight are dropped); marking the disconnect as expected lets the drain run first.
    if (cluster.isWorker) {
      process.prependListener('disconnect', () => {
        if (cluster.worker) cluster.worker.exitedAfterDisconnect = true;
        if (signals === 0) stop('supervisor gone');
      });
    }
    // A supervised child drains on the supervisor's SIGTERM; a terminal's ^C reaches the whole group.
    process.on('SIGINT', () => (cluster.isWorker ? undefined : stop('SIGINT')));
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

  if (command === 'workspaces' && sub === 'set-plan') {
    const { parsePlanChange } = await import('./app/plan-change-args.ts');
    const parsed = parsePlanChange(positionals.slice(2), values['rate-limit']);
    if ('problem' in parsed) throw new UsageError(parsed.problem);
    const { openDatabase } = await import('./adapters/sql/database.ts');
    const { setWorkspacePlan } = await import('./app/plans.ts');
    const { NotFound } = await import('./domain/errors.ts');
    const { Metrics } = await import('./observability/metrics.ts');
    const metrics = new Metrics();
    const db = await openDatabase(config, { metrics, logError: (err) => console.error(err) });
    try {
      const view = await setWorkspacePlan(db.admin, parsed.workspaceId, parsed.change);
      const override = view.rateLimitPerSecond === null ? "the plan's" : `${view.rateLimitPerSecond}`;
      console.log(`workspace ${view.id} (${view.name}): plan ${view.plan}, requests per second ${override}`);
      return 0;
    } catch (err) {
      if (err instanceof NotFound) {
        console.error(`no workspace ${parsed.workspaceId}`);
        return 1;
      }
      throw err;
    } finally {
      await db.close();
      metrics.close();
    }
  }

  if (command === 'documents' && sub) {
    const { runDocumentsCommand } = await import('./tools/documents-command.ts');
    const documentId = positionals[2];
    if (sub !== 'quarantined' && (!documentId || positionals.length > 3)) {
      throw new UsageError(`documents ${sub} needs one document id`);
    }
    if (sub === 'quarantined' && positionals.length > 2)
      throw new UsageError('too many arguments for "documents quarantined"');
    return runDocumentsCommand(config, sub as 'quarantined' | 'inspect' | 'repair' | 'release', documentId, (line) =>
      console.log(line),
    );
  }

  throw new UsageError(`unknown command "${command}"`);
}

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      role: { type: 'string' },
      'rate-limit': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      // profile
      url: { type: 'string' },
      type: { type: 'string' },
      seconds: { type: 'string' },
      out: { type: 'string' },
      top: { type: 'string' },
      sort: { type: 'string' },
      match: { type: 'string' },
    },
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`collab-docs: ${err.message} (collab-docs --help lists commands and options)`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  },
);
