import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Client } from 'pg';
import { sleep } from './sessions';

export type PoolMode = 'transaction' | 'session' | 'statement';

/** A real PgBouncer in front of the test server. */
export interface PgBouncer {
  mode: PoolMode;
  port: number;
  /** A URL for `database` through the pooler. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

/** Debian's pgbouncer, or one on PATH; undefined when neither is there. */
export function findPgBouncer(): string | undefined {
  for (const candidate of ['/usr/sbin/pgbouncer', ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'pgbouncer'))]) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return undefined;
}

const MISSING = 'pgbouncer is not installed: install Debian\'s package (apt-get install -y pgbouncer), or put pgbouncer on PATH';

/**
 * `describe` for tests that need a real PgBouncer: without the binary they fail under CI (so a
 * CI image without it is noticed) and are skipped elsewhere, with a note on stderr.
 */
export function describeWithPgBouncer(name: string, body: () => void): void {
  if (findPgBouncer()) return describe(name, body);
  if (process.env.CI) {
    return describe(name, () => {
      it('needs pgbouncer', () => {
        throw new Error(MISSING);
      });
    });
  }
  process.stderr.write(`\nskipped "${name}": ${MISSING}\n`);
  describe.skip(name, body);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** PgBouncer refuses to run as root: when we are root it runs as `postgres` (or `nobody`). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', user], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0) return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  throw new Error('running as root and there is no postgres or nobody user for pgbouncer to run as');
}

/** Starts a PgBouncer in `mode` (pool_mode) in front of ZDM_TEST_ADMIN_URL's server, on a free port. */
export async function startPgBouncer(mode: PoolMode, options: { poolSize?: number; roundRobin?: boolean } = {}): Promise<PgBouncer> {
  const binary = findPgBouncer();
  if (!binary) throw new Error(MISSING);
  const admin = new URL(process.env.ZDM_TEST_ADMIN_URL ?? '');
  if (!admin.port) throw new Error('ZDM_TEST_ADMIN_URL is not set: run the tests through jest (its globalSetup starts the server)');
  const user = decodeURIComponent(admin.username || 'postgres');
  const password = decodeURIComponent(admin.password || 'postgres');
  const dir = mkdtempSync(join(tmpdir(), 'zdm-pgbouncer-'));
  const port = await freePort();
  writeFileSync(join(dir, 'userlist.txt'), `"${user}" "${password}"\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${admin.hostname === 'localhost' ? '127.0.0.1' : admin.hostname} port=${admin.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      `unix_socket_dir =`,
      'auth_type = md5',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      `pool_mode = ${mode}`,
      `default_pool_size = ${options.poolSize ?? 5}`,
      'max_client_conn = 100',
      // 1: server connections are handed out in turn (FIFO), not the last released first (LIFO)
      `server_round_robin = ${options.roundRobin ? 1 : 0}`,
      // PgBouncer's default, and only run when a session-mode client leaves: a transaction pool hands server connections on as they are
      'server_reset_query = DISCARD ALL',
      'ignore_startup_parameters = extra_float_digits,options',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  const identity = runAs();
  if (identity) for (const file of ['', 'userlist.txt', 'pgbouncer.ini']) chownSync(join(dir, file), identity.uid, identity.gid);
  const child: ChildProcess = spawn(binary, [join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'ignore', 'pipe'], ...(identity ?? {}) });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  let exited = false;
  child.on('exit', () => (exited = true));
  const urlFor = (database: string) => `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  // ready once it answers a login
  const until = Date.now() + 15_000;
  for (;;) {
    if (exited) throw new Error(`pgbouncer exited at start: ${stderr.trim()}`);
    const probe = new Client({ connectionString: urlFor('postgres'), connectionTimeoutMillis: 1000 });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.query('select 1');
      await probe.end();
      break;
    } catch (error) {
      await probe.end().catch(() => undefined);
      if (Date.now() > until) throw new Error(`pgbouncer did not answer within 15 s: ${(error as Error).message} ${stderr.trim()}`);
      await sleep(100);
    }
  }
  return {
    mode,
    port,
    urlFor,
    stop: async () => {
      if (!exited) {
        const gone = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM'); // an immediate shutdown; SIGINT would wait for the clients to leave
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([gone, new Promise((done) => (timer = setTimeout(done, 5000)))]);
        clearTimeout(timer);
        if (!exited) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
