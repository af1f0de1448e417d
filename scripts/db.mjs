#!/usr/bin/env node
// Keeps the embedded PostgreSQL (.data/pg) running in the foreground until Ctrl-C, for the plain
// ORM CLIs and the apps. Prints its URL; a server already running is reported, not started twice.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { startEmbeddedPostgres, defaultEmbeddedDataDir, EMBEDDED_DATABASE, loadEnv, redactUrl } = require(join(root, 'libs/db/dist/index.js'));

const { env } = loadEnv(root);
const server = await startEmbeddedPostgres({ dataDir: defaultEmbeddedDataDir(root, env), database: EMBEDDED_DATABASE });
console.log(`embedded PostgreSQL: ${redactUrl(server.target.url)} (user postgres, password postgres)`);
if (!server.owned) {
  console.log('it was already running; leaving it to the process that started it');
  process.exit(0);
}
console.log('Ctrl-C stops it');
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
setInterval(() => undefined, 1 << 30);
