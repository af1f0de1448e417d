// Shared by the benchmarks: a scratch database (DATABASE_URL's server, or an embedded one in a
// temp directory), timing helpers, and the report format (figures plus the baseline of the same run).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const db = require(join(ROOT, 'libs/db/dist/index.js'));
const { Client } = require(join(ROOT, 'node_modules/pg'));

/** A fresh database for a benchmark: its URL and a stop() that drops it (and stops an embedded server it started). */
export async function scratchDatabase(name) {
  let adminUrl = process.env.DATABASE_URL;
  let server;
  let scratchDir;
  if (!adminUrl) {
    scratchDir = mkdtempSync(join(tmpdir(), 'zdm-bench-'));
    server = await db.startEmbeddedPostgres({ dataDir: join(scratchDir, 'pg') });
    adminUrl = server.target.url;
  }
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    server: server ? 'embedded PostgreSQL' : 'DATABASE_URL',
    async stop() {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
      await server?.stop();
      // a 1,000,000-row run leaves a gigabyte behind
      if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
    },
  };
}

/** Runs a command once; wall time in ms and peak RSS in MiB (from GNU time when present). */
export function timeCommand(argv, env, useGnuTime = true) {
  const started = process.hrtime.bigint();
  const withTime = useGnuTime ? ['/usr/bin/time', '-f', '%M', ...argv] : argv;
  const r = spawnSync(withTime[0], withTime.slice(1), { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).slice(-400)}`);
  const rssKb = useGnuTime ? Number(r.stderr.trim().split('\n').at(-1)) : NaN;
  return { ms, rssMiB: rssKb / 1024 };
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
export const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** A number given on the command line (`--runs 3`), else the default. */
export const numberArg = (name, fallback) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;

/** Runs a command without waiting on the others (JSON logs, no NODE_OPTIONS): its exit code and stderr. */
export function runCommand(argv, env) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '', LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
