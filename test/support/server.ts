import { startEmbeddedPostgres } from '../../libs/db/src/embedded-postgres';
import { parseDatabaseUrl } from '../../libs/db/src/database-url';

export interface TestServer {
  kind: 'DATABASE_URL' | 'testcontainers' | 'embedded';
  /** A URL with the rights to create databases; its database is not touched. */
  adminUrl: string;
  stop(): Promise<void>;
}

async function tryTestcontainers(): Promise<TestServer | undefined> {
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:16-alpine').start();
    return { kind: 'testcontainers', adminUrl: container.getConnectionUri(), stop: async () => void (await container.stop()) };
  } catch {
    // No Docker runtime here ("Could not find a working container runtime strategy"): fall back.
    return undefined;
  }
}

export async function startTestServer(dir: string): Promise<TestServer> {
  if (process.env.DATABASE_URL) {
    parseDatabaseUrl(process.env.DATABASE_URL, 'DATABASE_URL');
    return { kind: 'DATABASE_URL', adminUrl: process.env.DATABASE_URL, stop: async () => undefined };
  }
  if (process.env.ZDM_TEST_DOCKER !== '0') {
    const fromDocker = await tryTestcontainers();
    if (fromDocker) return fromDocker;
  }
  const embedded = await startEmbeddedPostgres({ dataDir: `${dir}/pg` });
  return { kind: 'embedded', adminUrl: embedded.target.url, stop: () => embedded.stop() };
}
