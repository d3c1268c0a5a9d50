/**
 * A stand-in for the Gotenberg HTML → PDF service on 127.0.0.1 (a third party the tests cannot
 * run): answers a real PDF, 500, 422, a non-PDF, never answers, or holds its answer until the
 * test releases it.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toPdf } from '../pdf.ts';
import { doc, paragraph, text } from './sample-documents.ts';

export type Mode = 'pdf' | 'fail' | 'hang' | 'hold' | 'refuse' | 'html';
export type Received = { method: string; url: string; contentType: string; body: string };

export class FakePdfService {
  mode: Mode = 'pdf';
  readonly received: Received[] = [];
  /** Resolves when a client closes a request the service never answered. */
  readonly closedUnanswered: Promise<void>;
  private markClosed!: () => void;
  private held: (() => void)[] = [];
  private server!: Server;
  private pdf!: Uint8Array;
  url = '';

  constructor() {
    this.closedUnanswered = new Promise((resolve) => {
      this.markClosed = resolve;
    });
  }

  async start(): Promise<void> {
    this.pdf = await toPdf('From the service', doc(paragraph(text('converted'))));
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once the service has read `count` requests in all. */
  async arrivals(count: number): Promise<void> {
    while (this.received.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** Lets every held request answer with the PDF. */
  release(): void {
    for (const answer of this.held.splice(0)) answer();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'] ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const answerPdf = () => res.writeHead(200, { 'content-type': 'application/pdf' }).end(this.pdf);
      switch (this.mode) {
        case 'pdf':
          return answerPdf();
        case 'fail':
          return res.writeHead(500).end('chromium crashed');
        case 'refuse':
          return res.writeHead(422).end('bad form');
        case 'html':
          return res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login page</html>');
        case 'hold':
          this.held.push(answerPdf);
          return;
        case 'hang':
          res.on('close', () => this.markClosed());
          return;
      }
    });
  }
}
