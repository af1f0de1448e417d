#!/usr/bin/env node
// The backfill against one plain UPDATE of an identical copy of the table (same columns, keys and
// indexes), measured in the same run, --runs times (default 5) over --rows rows (default 500,000)
// of chargebacks with its primary key and idx_chargebacks_utr. Each run:
//   1. the plain UPDATE of the copy (the ceiling): rows/s and WAL bytes a row;
//   2. `migrate backfill chargebacks-reported-at --max-rows-per-second 40000` killed with SIGKILL
//      part-way, then resumed without a limit: rows/s over the resumed process's whole life
//      (node start and exit included) and the ratio to the plain UPDATE, with where its time went
//      (process start and exit, connect, pooler check, planning, batches, recheck, status rows,
//      pause checks) and its WAL bytes a row;
//   3. the whole job again beside an app writer (4 connections, 50 writes/s each, half inserts,
//      half updates of a random row): the app's write latency p50/p99/max while it runs. The first
//      run also measures the plain UPDATE beside the same app writer.
// Then the spread over the runs (min, median, max), not the best run.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fmt, median, percentile, ROOT, scratchDatabase } from '../support.mjs';

const require = createRequire(import.meta.url);
const { Client } = require(join(ROOT, 'node_modules/pg'));
const arg = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const rows = arg('--rows', 500_000);
const runs = arg('--runs', 5);
// more options for every `migrate backfill` of the run, e.g. --extra '--batch-time 1s'
const extra = process.argv.includes('--extra') ? process.argv[process.argv.indexOf('--extra') + 1].split(/\s+/).filter(Boolean) : [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const CLI = join(ROOT, 'libs/migration-cli/dist/main.js');
const cli = (args, url) => spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: url, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
const finished = (child) =>
  new Promise((resolve) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
  });

const db = await scratchDatabase('zdm_bench_backfill');
{
  const up = await finished(cli(['up', '--app', 'payments'], db.url));
  if (up.code !== 0) throw new Error(`migrate failed: ${up.err}`);
}
const admin = new Client({ connectionString: db.url });
await admin.connect();
await admin.query('create table plain_copy (like chargebacks including all)');
const one = async (sql, params) => (await admin.query(sql, params)).rows[0];
const lsn = async () => (await one('select pg_current_wal_lsn()::text as l')).l;
const walSince = async (from) => Number((await one('select pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::bigint as b', [from])).b);
const left = async () => (await one('select count(*)::int as n from chargebacks where reported_at is null')).n;

async function freshTables() {
  await admin.query('truncate chargebacks restart identity');
  await admin.query('truncate plain_copy');
  await admin.query(`insert into chargebacks (payment_id, amount_minor, currency, status, created_at) select gen_random_uuid(), i, 'USD', 'open', now() - i * interval '1 second' from generate_series(1, $1) i`, [rows]);
  await admin.query('insert into plain_copy overriding system value select * from chargebacks');
  await admin.query(`delete from migration_progress where job = 'chargebacks-reported-at'`).catch(() => undefined);
  await admin.query('vacuum analyze chargebacks');
  await admin.query('vacuum analyze plain_copy');
  await admin.query('checkpoint');
}

/**
 * The app: 4 connections, 50 writes/s each, half inserts, half updates of a random existing row.
 * Latency counts from each write's scheduled time (as pgbench -R), so a stall counts for every
 * write queued behind it.
 */
function appWriter() {
  const latencies = [];
  let failed = 0;
  let stop = false;
  const started = performance.now();
  const done = Promise.all(
    Array.from({ length: 4 }, async (_, w) => {
      const c = new Client({ connectionString: db.url, application_name: 'payments-app' });
      await c.connect();
      await c.query(`set lock_timeout = '30s'`);
      for (let k = 0; !stop; k++) {
        const due = started + w * 5 + k * 20;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        try {
          if ((k + w) % 2) await c.query(`insert into chargebacks (payment_id, amount_minor, currency, status, reported_at) values (gen_random_uuid(), 1, 'USD', 'open', now())`);
          else await c.query(`update chargebacks set status = 'review' where id = $1`, [1 + Math.floor(Math.random() * rows)]);
        } catch {
          failed++;
        }
        latencies.push(Math.max(0, performance.now() - due));
      }
      await c.end();
    }),
  );
  return {
    stop: async () => {
      stop = true;
      await done;
      return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies), failed, writes: latencies.length };
    },
  };
}

async function besideTheApp(work) {
  // from a checkpoint, as the resumed run: in run 1 the plain UPDATE beside the app and the reset
  // after it write over a gigabyte of WAL, and the checkpoint that asks for would land in the middle
  // of the next measurement (app commits then wait on its fsyncs: p99 about 200 ms for either)
  await admin.query('checkpoint');
  const app = appWriter();
  await sleep(500);
  const t0 = performance.now();
  const changed = await work();
  const seconds = (performance.now() - t0) / 1000;
  return { rate: changed / seconds, ...(await app.stop()) };
}

/** The process start floor of the same run: `migrate --help` (node, module load, exit; no database). */
function startFloor() {
  const t0 = performance.now();
  spawnSync(process.execPath, [CLI, '--help'], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' }, stdio: 'ignore' });
  return performance.now() - t0;
}

const results = [];
let plainBesideApp;
for (let run = 1; run <= runs; run++) {
  await freshTables();
  // 1. the ceiling
  let from = await lsn();
  let t0 = performance.now();
  await admin.query('update plain_copy set reported_at = created_at where reported_at is null');
  const plainMs = performance.now() - t0;
  const plainWal = await walSince(from);
  const plainRate = (rows * 1000) / plainMs;

  // 2. killed part-way, resumed
  const first = cli(['backfill', 'chargebacks-reported-at', '--max-rows-per-second', '40000', ...extra], db.url);
  const firstDone = finished(first);
  while ((await left()) > rows * 0.65) await sleep(50);
  first.kill('SIGKILL');
  await firstDone;
  // the server finishes what the killed process had sent before its backends go
  while ((await admin.query(`select 1 from pg_stat_activity where datname = current_database() and application_name like 'zdm-backfill %'`)).rowCount) await sleep(20);
  const before = await left();
  const floorMs = startFloor();
  // the same start as the ceiling's: no dirty pages of the plain copy or of the killed run in shared
  // buffers for the resumed run to write out on their behalf, no checkpoint due halfway
  await admin.query('checkpoint');
  from = await lsn();
  t0 = performance.now();
  const resumed = await finished(cli(['backfill', 'chargebacks-reported-at', '--json', ...extra], db.url));
  const wallMs = performance.now() - t0;
  const wal = await walSince(from);
  if (resumed.code !== 0) throw new Error(`resumed backfill failed: ${resumed.err.slice(-400)}`);
  if ((await left()) !== 0) throw new Error(`${await left()} rows left`);
  const result = JSON.parse(resumed.out.trim().split('\n').at(-1));
  const p = result.phases;
  const inRunner = p.connect + p.poolerCheck + p.plan + result.durationMs;
  const r = {
    run,
    plainRate,
    plainWalPerRow: plainWal / rows,
    left: before,
    rate: (before * 1000) / wallMs,
    wallMs,
    walPerRow: wal / before,
    batches: result.batches,
    split: {
      'process start and exit': wallMs - inRunner,
      connect: p.connect,
      'pooler check': p.poolerCheck,
      'planning (progress read)': p.plan + p.ownership,
      batches: p.batches,
      'recheck for skipped rows': p.recheck,
      'status rows': p.checkpoint,
      'pause checks': p.pauseChecks,
    },
    floorMs,
  };
  r.ratio = r.rate / plainRate;

  // 3. beside the app writer, the whole job
  await admin.query('update chargebacks set reported_at = null where id <= $1', [rows]);
  await admin.query(`delete from migration_progress where job = 'chargebacks-reported-at'`);
  await admin.query('vacuum analyze chargebacks');
  if (run === 1) {
    plainBesideApp = await besideTheApp(async () => (await admin.query('update chargebacks set reported_at = created_at where reported_at is null')).rowCount);
    await admin.query('update chargebacks set reported_at = null where id <= $1', [rows]);
    await admin.query('vacuum analyze chargebacks');
  }
  r.app = await besideTheApp(async () => {
    const x = await finished(cli(['backfill', 'chargebacks-reported-at', ...extra], db.url));
    if (x.code !== 0) throw new Error(x.err);
    return rows;
  });
  results.push(r);
  const split = Object.entries(r.split).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');
  console.error(
    `run ${run}: plain UPDATE ${fmt(plainRate)} rows/s; resumed backfill ${fmt(r.rate)} rows/s over ${r.left} rows = ${fmt(r.ratio, 2)} of it (${fmt(wallMs)} ms: ${split}; ${r.batches} batches); ` +
      `WAL ${fmt(r.walPerRow)} B/row vs ${fmt(r.plainWalPerRow)}; beside the app ${fmt(r.app.rate)} rows/s, app write p99 ${fmt(r.app.p99, 1)} ms, max ${fmt(r.app.max)} ms, failed ${r.app.failed}`,
  );
}
await admin.end();
await db.stop();

const spread = (xs, digits = 0) => `${fmt(Math.min(...xs), digits)} / ${fmt(median(xs), digits)} / ${fmt(Math.max(...xs), digits)}`;
console.log(`backfill of chargebacks.reported_at, ${rows} rows (primary key + idx_chargebacks_utr), ${runs} runs (${db.server})${extra.length ? `, with ${extra.join(' ')}` : ''}; min / median / max over the runs`);
console.log(`  one plain UPDATE (the ceiling)                         ${spread(results.map((r) => r.plainRate))} rows/s, WAL ${spread(results.map((r) => r.plainWalPerRow))} B/row`);
console.log(`  ours, killed part-way and resumed (process included)   ${spread(results.map((r) => r.rate))} rows/s, WAL ${spread(results.map((r) => r.walPerRow))} B/row`);
console.log(`  ratio to the plain UPDATE of the same run              ${spread(results.map((r) => r.ratio), 2)} (aim >= 0.8 on every run; ${results.filter((r) => r.ratio >= 0.8).length} of ${runs} runs)`);
console.log(`  ratios, every run                                      ${results.map((r) => fmt(r.ratio, 2)).join(', ')}`);
console.log(`  where the resumed run's time goes, ms (median):`);
for (const k of Object.keys(results[0].split)) console.log(`    ${k.padEnd(28)} ${fmt(median(results.map((r) => r.split[k])))}  (${spread(results.map((r) => r.split[k]))})`);
console.log(`    of it, the start floor: \`migrate --help\`  ${fmt(median(results.map((r) => r.floorMs)))}`);
console.log(`  beside the app writer (4 x 50 writes/s): ours ${spread(results.map((r) => r.app.rate))} rows/s, app write p99 ${spread(results.map((r) => r.app.p99), 1)} ms (aim < 50 ms), max ${spread(results.map((r) => r.app.max))} ms, failed ${results.reduce((n, r) => n + r.app.failed, 0)}`);
console.log(`  the plain UPDATE beside the same app writer (run 1): app write p99 ${fmt(plainBesideApp.p99, 1)} ms, max ${fmt(plainBesideApp.max)} ms`);
