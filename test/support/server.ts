import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../libs/db/src/embedded-postgres';
import { parseDatabaseUrl } from '../../libs/db/src/database-url';
import { requestedMajor, startPinnedPostgres } from './pinned-postgres';

export interface TestServer {
  kind: 'DATABASE_URL' | 'testcontainers' | 'embedded';
  /** A URL with the rights to create databases; its database is not touched. */
  adminUrl: string;
  /** The server's version, `server_version` (e.g. `13.23`). */
  version: string;
  stop(): Promise<void>;
}

async function tryTestcontainers(major: number | undefined): Promise<Omit<TestServer, 'version'> | undefined> {
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer(`postgres:${major ?? 16}-alpine`).start();
    return { kind: 'testcontainers', adminUrl: container.getConnectionUri(), stop: async () => void (await container.stop()) };
  } catch {
    // No Docker runtime here ("Could not find a working container runtime strategy"): fall back.
    return undefined;
  }
}

async function serverVersion(url: string): Promise<{ version: string; major: number }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string; num: string }>(`select current_setting('server_version') as version, current_setting('server_version_num') as num`);
    return { version: rows[0].version.split(' ')[0], major: Math.floor(Number(rows[0].num) / 10_000) };
  } finally {
    await client.end();
  }
}

/**
 * DATABASE_URL when given; else with PG_MAJOR, that major's pinned server (test/matrix.json);
 * else a testcontainers server when a Docker runtime answers; else the embedded default. With
 * both DATABASE_URL and PG_MAJOR, the server must be of that major.
 */
async function start(dir: string, major: number | undefined): Promise<Omit<TestServer, 'version'>> {
  if (process.env.DATABASE_URL) {
    parseDatabaseUrl(process.env.DATABASE_URL, 'DATABASE_URL');
    return { kind: 'DATABASE_URL', adminUrl: process.env.DATABASE_URL, stop: async () => undefined };
  }
  if (process.env.ZDM_TEST_DOCKER !== '0') {
    const fromDocker = await tryTestcontainers(major);
    if (fromDocker) return fromDocker;
  }
  if (major !== undefined) {
    const pinned = await startPinnedPostgres(major, `${dir}/pg`);
    return { kind: 'embedded', adminUrl: pinned.url, stop: pinned.stop };
  }
  const embedded = await startEmbeddedPostgres({ dataDir: `${dir}/pg` });
  return { kind: 'embedded', adminUrl: embedded.target.url, stop: () => embedded.stop() };
}

export async function startTestServer(dir: string): Promise<TestServer> {
  const major = requestedMajor();
  const server = await start(dir, major);
  const found = await serverVersion(server.adminUrl);
  if (major !== undefined && found.major !== major) {
    await server.stop();
    throw new Error(`PG_MAJOR is ${major} but the ${server.kind} server is PostgreSQL ${found.version}`);
  }
  return { ...server, version: found.version };
}
