/**
 * `npm run dev`: the developer loop in one command. The server runs under `node --watch` (it
 * restarts when any file it imports changes) with WEB_BUILD=never, and Vite's dev server serves
 * the web app with hot module reload, proxying the server's paths (`/api`, the `/sync` WebSockets,
 * probes, metrics, JWKS) to it. Open the URL Vite prints (default http://localhost:5173).
 *
 *   npm run dev                  # server on PORT (3000), Vite on 5173
 *   npm run dev -- --port 5180   # Vite elsewhere
 *
 * The server reads its configuration from the environment as always (.env.example).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createServer, type ProxyOptions } from 'vite';
import { loadConfig } from '../src/config/config.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** What Vite forwards to the server (everything else is the web app): the same list web-app.ts keeps for itself. */
function devProxy(serverUrl: string): Record<string, ProxyOptions> {
  const http: ProxyOptions = { target: serverUrl, changeOrigin: false };
  return {
    '/api': http,
    '/sync': { ...http, ws: true },
    '/livez': http,
    '/readyz': http,
    '/metrics': http,
    '/.well-known': http,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { port: { type: 'string', default: '5173' }, host: { type: 'string', default: 'localhost' } },
  });
  const config = loadConfig(process.env);
  const serverHost = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  const serverUrl = `http://${serverHost}:${config.port}`;

  const server = spawn(process.execPath, ['--watch', '--watch-preserve-output', 'bin/collab-docs.js', 'serve'], {
    cwd: ROOT,
    // Vite serves the app; the server never builds it.
    env: { ...process.env, WEB_BUILD: 'never' },
    stdio: 'inherit',
  });

  const vite = await createServer({
    configFile: `${ROOT}vite.config.ts`,
    root: `${ROOT}web`,
    server: { port: Number(values.port), host: values.host, strictPort: true, proxy: devProxy(serverUrl) },
  });
  await vite.listen();
  vite.printUrls();

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    server.kill('SIGTERM');
    await vite.close();
    process.exit(code);
  };
  server.on('exit', (code) => {
    // `node --watch` keeps running across restarts; it exits only when stopped or on a bad flag.
    if (!stopping) void stop(code ?? 1);
  });
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
}

await main();
