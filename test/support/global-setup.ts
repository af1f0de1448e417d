import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from './server';

/**
 * One PostgreSQL for the whole test run: DATABASE_URL when given, else a testcontainers server
 * when a Docker runtime answers, else an embedded server in a temp directory. Workers find its
 * admin URL in ZDM_TEST_ADMIN_URL and create their own databases there.
 */
export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'zdm-test-'));
  const server = await startTestServer(dir);
  process.env.ZDM_TEST_ADMIN_URL = server.adminUrl;
  process.env.ZDM_TEST_SERVER_KIND = server.kind;
  process.env.ZDM_TEST_SERVER_VERSION = server.version;
  (globalThis as { __zdmTestServer?: unknown }).__zdmTestServer = server;
  process.stderr.write(`\ntest database server: ${server.kind}, PostgreSQL ${server.version}\n`);
}
