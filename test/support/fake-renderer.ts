/**
 * A misbehaving stand-in for the external HTML → PDF service (Gotenberg's
 * `POST /forms/chromium/convert/html`): a real HTTP server on 127.0.0.1 that, on command,
 * answers a minimal valid PDF, holds every request forever without answering, or answers 500 on
 * a given share of calls. It counts calls, failures, requests it is holding and open sockets, so
 * fault-injection tests can see what actually reached the service and what was left behind.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type FakeRendererMode =
  /** Every call gets a PDF. */
  | { kind: 'pdf' }
  /** Every call is held open, never answered (until the mode changes or the server closes). */
  | { kind: 'hang' }
  /** A share of the calls (0..1), spread evenly over the sequence, get a 500; the rest a PDF. */
  | { kind: 'flaky'; failShare: number };

/** Marks PDFs that came from this service (tests look for it in the downloaded file). */
export const FAKE_PDF_MARKER = 'collab-docs fake external renderer';

/** One blank A4 page with a correct cross-reference table: a PDF any reader opens. */
export function minimalPdf(): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>',
  ];
  let body = `%PDF-1.4\n% ${FAKE_PDF_MARKER}\n`;
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const at of offsets) body += `${String(at).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

export type FakeRenderer = {
  /** Base URL, for EXPORT_EXTERNAL_RENDERER_URL. */
  url: string;
  setMode(mode: FakeRendererMode): void;
  /** Requests received on the convert route since the start (or the last `resetCounts`). */
  readonly calls: number;
  /** Calls answered with a PDF. */
  readonly successes: number;
  /** Calls answered 500. */
  readonly failures: number;
  /** Requests received and not answered yet whose client is still connected. */
  readonly held: number;
  /** TCP connections open now (kept-alive ones included). */
  readonly openConnections: number;
  /** Time of the first call (performance.now()), or undefined before any. */
  readonly firstCallAt: number | undefined;
  resetCounts(): void;
  /** Resolves once `predicate` holds (checked on every change of the counters), or rejects after `timeoutMs`. */
  until(predicate: (r: FakeRenderer) => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Drops every held request and socket, then stops listening. */
  close(): Promise<void>;
};

const CONVERT_PATH = '/forms/chromium/convert/html';

export async function startFakeRenderer(initial: FakeRendererMode = { kind: 'pdf' }): Promise<FakeRenderer> {
  const pdf = minimalPdf();
  let mode = initial;
  let calls = 0;
  let flakySeq = 0;
  let successes = 0;
  let failures = 0;
  let firstCallAt: number | undefined;
  const held = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const w of [...waiters]) w();
  };

  const answerPdf = (res: ServerResponse) => {
    successes++;
    res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(pdf.byteLength) });
    res.end(pdf);
  };
  const answer500 = (res: ServerResponse) => {
    failures++;
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('injected failure');
  };

  const respond = (res: ServerResponse) => {
    if (mode.kind === 'hang') {
      held.add(res);
      // The client gave up (timeout, abort, its process died): nothing is held for it any more.
      res.on('close', () => {
        held.delete(res);
        changed();
      });
      return;
    }
    if (mode.kind === 'flaky') {
      // Even spread: call n fails when the running failure quota steps up, e.g. every 2nd at 0.5.
      const n = flakySeq++;
      const fail = Math.floor((n + 1) * mode.failShare) > Math.floor(n * mode.failShare);
      if (fail) answer500(res);
      else answerPdf(res);
      return;
    }
    answerPdf(res);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== CONVERT_PATH) {
      res.writeHead(404).end();
      return;
    }
    calls++;
    firstCallAt ??= performance.now();
    changed();
    // Read the whole form (like the real service) before deciding how to misbehave.
    req.resume();
    req.on('end', () => {
      respond(res);
      changed();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    changed();
    socket.on('close', () => {
      sockets.delete(socket);
      changed();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };

  const fake: FakeRenderer = {
    url: `http://127.0.0.1:${port}`,
    setMode(next) {
      mode = next;
      flakySeq = 0;
    },
    get calls() {
      return calls;
    },
    get successes() {
      return successes;
    },
    get failures() {
      return failures;
    },
    get held() {
      return held.size;
    },
    get openConnections() {
      return sockets.size;
    },
    get firstCallAt() {
      return firstCallAt;
    },
    resetCounts() {
      calls = 0;
      successes = 0;
      failures = 0;
      flakySeq = 0;
      firstCallAt = undefined;
    },
    until(predicate, timeoutMs, what) {
      if (predicate(fake)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `fake renderer: timed out after ${timeoutMs} ms waiting for ${what} ` +
                `(calls ${calls}, held ${held.size}, open connections ${sockets.size})`,
            ),
          );
        }, timeoutMs);
        const check = () => {
          if (!predicate(fake)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    async close() {
      for (const res of held) res.destroy();
      held.clear();
      const closed = once(server, 'close');
      server.close();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
  return fake;
}
