import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface StubRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A status, a status with headers, or 'hang': hold the request open and never answer. */
export type StubAnswer = number | 'hang' | { status: number; headers?: Record<string, string> };

export interface HttpStub {
  url: string;
  requests: StubRequest[];
  /** Every byte the server received, request lines and headers included. */
  rawBytes(): string;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1, port 0, standing in for Slack, Telegram, a webhook or a
 * Pushgateway. `answer` gets each request and how many requests came to that path before it.
 */
export async function startHttpStub(answer: (request: StubRequest, nthOnPath: number) => StubAnswer = () => 200): Promise<HttpStub> {
  const requests: StubRequest[] = [];
  const raw: Buffer[][] = [];
  const sockets = new Set<Socket>();
  const held = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(request);
      const reply = answer(request, requests.filter((r) => r.path === request.path).length);
      if (reply === 'hang') {
        held.add(res);
        return;
      }
      const { status, headers } = typeof reply === 'number' ? { status: reply, headers: {} } : reply;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ ok: status < 400 }));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    const received: Buffer[] = [];
    raw.push(received);
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    rawBytes: () => raw.map((chunks) => Buffer.concat(chunks).toString('utf8')).join('\n'),
    close: () =>
      new Promise<void>((closed) => {
        held.clear();
        for (const socket of sockets) socket.destroy();
        server.close(() => closed());
      }),
  };
}

/** A URL where nothing listens: a server bound to a free port, then closed. */
export async function deadUrl(): Promise<string> {
  const stub = await startHttpStub();
  await stub.close();
  return stub.url;
}
