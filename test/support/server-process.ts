/** Runs the real `collab-docs serve` in a child process, for multi-process and signal tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { GENEROUS_SYNC_LIMITS } from './generous-sync-limits.ts';

const BIN = fileURLToPath(new URL('../../bin/collab-docs.js', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export type ServerProcess = {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
};

/**
 * Starts a server on a free port (or `env.PORT`). Another process can take a port between
 * `freePort()` and the server's listen: then the start is retried on a new port.
 */
export async function startServerProcess(env: Record<string, string>, readyTimeoutMs = 30_000): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(env, env.PORT ? Number(env.PORT) : await freePort(), readyTimeoutMs);
    } catch (err) {
      const portTaken = err instanceof Error && err.message.includes('EADDRINUSE');
      if (!portTaken || env.PORT || attempt >= 3) throw err;
    }
  }
}

async function startOnce(env: Record<string, string>, port: number, readyTimeoutMs: number): Promise<ServerProcess> {
  let out = '';
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SCRYPT_COST: '1024',
      SIGNUP_MAX_PER_IP_PER_HOUR: '1000000',
      // A cold pool on a busy test machine: start-up queries (signing keys, migrations) must not
      // fail on the 100 ms production default (tests that measure the pools set their own).
      DB_POOL_ACQUIRE_TIMEOUT_MS: '5000',
      // Every test client is 127.0.0.1 and fixtures export and invite a lot (as test-app.ts).
      RATE_LIMIT_FREE_PER_SECOND: '100000',
      RATE_LIMIT_BUSINESS_PER_SECOND: '100000',
      RATE_LIMIT_SEARCH_PER_MINUTE: '6000000',
      RATE_LIMIT_EXPORT_PER_MINUTE: '6000000',
      RATE_LIMIT_IMAGE_PER_MINUTE: '6000000',
      RATE_LIMIT_INVITE_PER_MINUTE: '6000000',
      RATE_LIMIT_LOGIN_PER_MINUTE: '6000000',
      // Likewise the sync tier's tenant caps (test/sync-limits.test.ts sets small ones).
      ...GENEROUS_SYNC_LIMITS,
      // The test run's global setup builds the web app once; servers never rebuild it in parallel.
      WEB_BUILD: 'never',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  for (;;) {
    if (dead) throw new Error(`server exited before it was ready:\n${out}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready after ${readyTimeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => out,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** JSON request helper for tests against a real listening server. */
export async function call(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown } = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies and assert their shape.
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(opts.token && { authorization: `Bearer ${opts.token}` }),
      ...(opts.body !== undefined && { 'content-type': 'application/json' }),
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Signs up a new account on a real server and creates a workspace and one document in it. */
export async function ownerWithDocument(
  base: string,
  names: { person: string; workspace: string; document: string },
): Promise<{ token: string; workspaceId: string; documentId: string }> {
  const signup = await call(base, 'POST', '/api/v1/auth/signup', {
    body: {
      email: `${names.person.toLowerCase()}-${randomBytes(4).toString('hex')}@example.test`,
      password: 'correct horse battery staple',
      displayName: names.person,
    },
  });
  if (signup.status !== 201) throw new Error(`sign-up answered ${signup.status}`);
  const token = signup.body.accessToken as string;
  const ws = await call(base, 'POST', '/api/v1/workspaces', { token, body: { name: names.workspace } });
  if (ws.status !== 201) throw new Error(`workspace creation answered ${ws.status}`);
  const doc = await call(base, 'POST', `/api/v1/workspaces/${ws.body.id}/documents`, {
    token,
    body: { title: names.document },
  });
  if (doc.status !== 201) throw new Error(`document creation answered ${doc.status}`);
  return { token, workspaceId: ws.body.id, documentId: doc.body.id };
}
