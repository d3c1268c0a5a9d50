/**
 * bench:isolation's realtime noisy load: one user of the noisy workspace opens sockets far beyond
 * its caps (spec S7.4) over the workspace's documents, and every socket it gets floods presence
 * frames past the workspace's frame budget (S7.6). Reports what the server answered: sockets
 * accepted, closes by code (4429 expected), HTTP refusals of the upgrade.
 *
 * The flood runs in a child process (`socketFloodInChild`): hundreds of sockets and thousands of
 * frames a second in the bench's own event loop would delay the quiet tenant's load generator and
 * show up as the server's latency.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { encodeAwareness, encodeSyncStep1, encodeToken } from '../src/sync/protocol.ts';

export type SocketFloodOptions = {
  url: string;
  token: string;
  documentIds: string[];
  sockets: number;
  /** Presence frames each accepted socket sends per second (under the per-socket limit). */
  framesPerSecond: number;
  durationS: number;
};

export type SocketFloodResult = {
  attempted: number;
  /** Sockets the server kept open past authentication (until the flood or the end). */
  accepted: number;
  closesByCode: Record<string, number>;
  upgradeStatus: Record<string, number>;
  framesSent: number;
};

function presence(clientId: number, clock: number): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 1);
  encoding.writeVarUint(e, clientId);
  encoding.writeVarUint(e, clock);
  encoding.writeVarString(e, JSON.stringify({ cursor: { anchor: clock } }));
  return encodeAwareness(encoding.toUint8Array(e));
}

export async function socketFlood(o: SocketFloodOptions): Promise<SocketFloodResult> {
  const result: SocketFloodResult = {
    attempted: o.sockets,
    accepted: 0,
    closesByCode: {},
    upgradeStatus: {},
    framesSent: 0,
  };
  const wsBase = o.url.replace(/^http/, 'ws');
  const step1 = encodeSyncStep1(Y.encodeStateVector(new Y.Doc()));
  const sockets: WebSocket[] = [];
  const timers: NodeJS.Timeout[] = [];
  const closed: Promise<void>[] = [];
  const deadline = Date.now() + o.durationS * 1000;
  for (let i = 0; i < o.sockets && Date.now() < deadline; i++) {
    const ws = new WebSocket(`${wsBase}/sync/${o.documentIds[i % o.documentIds.length]}`, { perMessageDeflate: false });
    sockets.push(ws);
    closed.push(
      new Promise<void>((resolve) => {
        ws.on('unexpected-response', (_req, res) => {
          const k = String(res.statusCode);
          result.upgradeStatus[k] = (result.upgradeStatus[k] ?? 0) + 1;
          resolve();
        });
        ws.on('error', () => resolve());
        ws.on('close', (code) => {
          result.closesByCode[String(code)] = (result.closesByCode[String(code)] ?? 0) + 1;
          resolve();
        });
      }),
    );
    ws.on('open', () => {
      ws.send(encodeToken(o.token));
      ws.send(step1);
    });
    let accepted = false;
    let clock = 0;
    ws.on('message', () => {
      if (accepted) return;
      // The server's first frame (its sync step 1) means the token was verified and the socket joined.
      accepted = true;
      result.accepted++;
      const clientId = 1 + i;
      const timer = setInterval(() => {
        if (ws.readyState !== WebSocket.OPEN) return;
        ws.send(presence(clientId, ++clock));
        result.framesSent++;
      }, 1000 / o.framesPerSecond);
      timers.push(timer);
    });
    // Open them as a script would: fast, but not all in one turn.
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())));
  for (const t of timers) clearInterval(t);
  for (const ws of sockets)
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
  await Promise.all(closed);
  return result;
}

const CHILD_ENV = 'BENCH_SOCKET_FLOOD';

/** Runs `socketFlood` in a child process and returns its result. */
export function socketFloodInChild(o: SocketFloodOptions): Promise<SocketFloodResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
      env: { ...process.env, [CHILD_ENV]: JSON.stringify(o) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as SocketFloodResult);
      else reject(new Error(`socket flood child exited with ${code}`));
    });
  });
}

const childOptions = process.env[CHILD_ENV];
if (childOptions) {
  socketFlood(JSON.parse(childOptions) as SocketFloodOptions).then(
    (r) => {
      process.stdout.write(JSON.stringify(r));
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
}
