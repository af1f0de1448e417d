#!/usr/bin/env node
// App writes while a migration needs ACCESS EXCLUSIVE on chargebacks: a steady writer (4 connections
// inserting), a reader holding a transaction on chargebacks for 5 s, then the add_utr_reported_at
// migration applied (a) the plain way, with no lock timeout, as the plain ORM CLIs do, and (b) through
// our runner (lock_timeout 500 ms, retries with backoff, a look at pg_locks before each attempt).
// Prints write latency p50/p99/max, failed app transactions, and the ratios; and, as the floor, the
// same load with the CLI started but taking no table lock (`status`): the machine's own noise, the
// process start included. Usage: node bench/lock-safety/run.mjs [--rows 200000]
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fmt, percentile, ROOT, scratchDatabase } from '../support.mjs';

const require = createRequire(import.meta.url);
const { Client } = require(join(ROOT, 'node_modules/pg'));
const rows = Number(process.argv[process.argv.indexOf('--rows') + 1]) || 200_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const node = process.execPath;
const cli = (args, url, env = {}) =>
  new Promise((resolve) => {
    const child = spawn(node, ['libs/migration-cli/dist/main.js', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: url, NODE_OPTIONS: '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, err }));
  });

async function prepare(name) {
  const db = await scratchDatabase(name);
  const r = await cli(['up', '--app', 'payments', '--to', '202401150900__create_chargebacks'], db.url);
  if (r.code !== 0) throw new Error(r.err);
  const c = new Client({ connectionString: db.url });
  await c.connect();
  await c.query(`insert into chargebacks (payment_id, amount_minor, currency, status) select gen_random_uuid(), i, 'USD', 'open' from generate_series(1, $1) i`, [rows]);
  await c.query('vacuum analyze chargebacks');
  await c.end();
  return db;
}

/**
 * 4 writers at 50 inserts/s each for `seconds`. Latency counts from each write's scheduled time, as
 * pgbench -R does: a write stuck behind a lock delays the ones queued after it, and they count too.
 */
async function writers(url, seconds) {
  const latencies = [];
  let failed = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: 4 }, async (_, w) => {
      const c = new Client({ connectionString: url, application_name: 'app-writer' });
      await c.connect();
      for (let k = 0, due = started + w * 5; due < until; k++, due = started + w * 5 + k * 20) {
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        try {
          await c.query(`insert into chargebacks (payment_id, amount_minor, currency, status) values (gen_random_uuid(), 1, 'USD', 'open')`);
        } catch {
          failed++;
        }
        latencies.push(Math.max(0, performance.now() - due));
      }
      await c.end();
    }),
  );
  return { latencies, failed };
}

async function scenario(db, migrate) {
  const load = writers(db.url, 12);
  await sleep(1000);
  const reader = new Client({ connectionString: db.url, application_name: 'app-report' });
  await reader.connect();
  await reader.query('begin');
  await reader.query('select count(*) from chargebacks');
  const readerDone = sleep(5000).then(async () => {
    await reader.query('commit');
    await reader.end();
  });
  await sleep(300);
  const t0 = performance.now();
  const result = await migrate();
  const migrateMs = performance.now() - t0;
  await readerDone;
  const { latencies, failed } = await load;
  return { ...result, migrateMs, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies), failed, writes: latencies.length };
}

const plainDb = await prepare('zdm_bench_lock_plain');
const plain = await scenario(plainDb, async () => {
  const c = new Client({ connectionString: plainDb.url });
  await c.connect();
  await c.query(`ALTER TABLE "chargebacks" ADD "utr" character varying(64)`);
  await c.query(`ALTER TABLE "chargebacks" ADD "reported_at" TIMESTAMP WITH TIME ZONE`);
  await c.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_chargebacks_utr" ON "chargebacks" ("utr")`);
  await c.end();
  return { code: 0 };
});
await plainDb.stop();
const oursDb = await prepare('zdm_bench_lock_ours');
const ours = await scenario(oursDb, () => cli(['up', '--app', 'payments'], oursDb.url));
await oursDb.stop();
const shortDb = await prepare('zdm_bench_lock_short');
const short = await scenario(shortDb, () => cli(['up', '--app', 'payments'], shortDb.url, { MIGRATION_LOCK_TIMEOUT: '200ms', MIGRATION_LOCK_RETRIES: '30' }));
await shortDb.stop();
const floorDb = await prepare('zdm_bench_lock_floor');
const floor = await scenario(floorDb, () => cli(['status', '--app', 'payments'], floorDb.url));
await floorDb.stop();

console.log(`lock safety: ${rows} rows in chargebacks, 4 app writers at 200 inserts/s, a reader holding the table 5 s (${plainDb.server})`);
for (const [name, r] of [
  ['plain ALTER (no lock_timeout, as the plain ORM CLIs)', plain],
  ['ours (lock_timeout 500 ms, the default)', ours],
  ['ours (MIGRATION_LOCK_TIMEOUT=200ms)', short],
  ['floor: the CLI started, no table lock (status)', floor],
]) {
  console.log(`  ${name.padEnd(52)} write p50 ${fmt(r.p50, 1)} ms  p99 ${fmt(r.p99, 1)} ms  max ${fmt(r.max)} ms  failed ${r.failed}/${r.writes}  migration ${fmt(r.migrateMs)} ms, exit ${r.code}`);
}
console.log(`baseline is the plain run above; ratios plain/ours: p99 ${fmt(plain.p99 / ours.p99, 1)}x, max stall ${fmt(plain.max / ours.max, 1)}x; with 200 ms: p99 ${fmt(plain.p99 / short.p99, 1)}x, max stall ${fmt(plain.max / short.max, 1)}x (goals: max stall <= 50 ms, p99 <= 10 ms, no failed app transaction, the migration applied: exit 0)`);
