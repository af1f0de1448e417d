import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface Received {
  method: string;
  path: string;
  body: string;
}

/**
 * A local HTTP server standing in for Slack, Telegram, a webhook and a Pushgateway: it records
 * every request; `behave` picks the answer per path (default 200), or holds the request (hang).
 */
export async function startHttpSink(behave: (path: string) => number | 'hang' = () => 200): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const hanging = new Set<IncomingMessage>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', body });
      const answer = behave(req.url ?? '');
      if (answer === 'hang') {
        hanging.add(req);
        return;
      }
      res.writeHead(answer, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((done) => {
        for (const req of hanging) req.socket.destroy();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
