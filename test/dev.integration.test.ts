/**
 * `npm run dev` for real: one command starts the server (under node --watch) and Vite's dev
 * server with hot reload, and Vite forwards the API to the server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CloseCode } from '../src/sync/close-codes.ts';
import { freePort } from './support/server-process.ts';

const DEV = fileURLToPath(new URL('../scripts/dev.ts', import.meta.url));
const START_MS = 180_000;

describe('npm run dev', () => {
  let child: ChildProcess;
  let dataDir: string;
  let vite = '';
  let output = '';

  const until = async (what: string, ok: () => Promise<boolean>) => {
    const deadline = Date.now() + START_MS;
    while (!(await ok().catch(() => false))) {
      if (child.exitCode !== null) throw new Error(`npm run dev exited:\n${output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'collab-docs-dev-'));
    const [serverPort, vitePort] = [await freePort(), await freePort()];
    vite = `http://127.0.0.1:${vitePort}`;
    child = spawn(process.execPath, [DEV, '--port', String(vitePort), '--host', '127.0.0.1'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOST: '127.0.0.1',
        PORT: String(serverPort),
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        SCRYPT_COST: '1024',
        SYNC_AUTH_TIMEOUT_MS: '500',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await until('Vite and the server behind it', async () => (await fetch(`${vite}/readyz`)).status === 200);
  }, START_MS + 10_000);

  afterAll(async () => {
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid, 'SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('serves the web app from Vite with hot reload', async () => {
    const html = await (await fetch(`${vite}/`)).text();
    expect(html).toContain('/@vite/client');
  });

  it('forwards the API to the server', async () => {
    const res = await fetch(`${vite}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: `dev-${Date.now()}@example.test`,
        password: 'correct horse battery staple',
        displayName: 'Dev',
      }),
    });
    expect(res.status).toBe(201);
    expect((await fetch(`${vite}/.well-known/jwks.json`)).status).toBe(200);
  });

  it('forwards /sync WebSockets to the server', async () => {
    // A sync frame before any token: the server itself closes with 4401, through Vite's proxy.
    // (A socket that stays silent is terminated without a close frame since S7.8: 1006.)
    const socket = new WebSocket(`${vite.replace('http', 'ws')}/sync/${crypto.randomUUID()}`);
    const code = await new Promise<number>((resolve, reject) => {
      socket.once('open', () => socket.send(new Uint8Array([0, 0, 1, 0])));
      socket.once('close', (c) => resolve(c));
      socket.once('error', reject);
    });
    expect(code).toBe(CloseCode.UNAUTHORIZED);
  });
});
