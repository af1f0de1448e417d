#!/usr/bin/env node
// A 1,000,000-row chargebacks (--rows N for fewer) with an app writer beside it (4 connections,
// each inserting a row or updating a random existing one, 50 writes/s per connection). Compared in
// one run: one single UPDATE (the ceiling, holding every row lock until it commits), the design's
// cron pace (5,000 rows a minute), and our backfill (`migrate backfill chargebacks-reported-at`,
// process start-up included). Prints rows/s, app write p50/p99/max during each, and the ratios.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fmt, percentile, ROOT, scratchDatabase } from '../support.mjs';

const require = createRequire(import.meta.url);
const { Client } = require(join(ROOT, 'node_modules/pg'));
const rows = Number(process.argv[process.argv.indexOf('--rows') + 1]) || 1_000_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const run = (args, url) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['libs/migration-cli/dist/main.js', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: url, NODE_OPTIONS: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, err }));
  });

const db = await scratchDatabase('zdm_bench_backfill');
if ((await run(['up', '--app', 'payments'], db.url)).code !== 0) throw new Error('migrate failed');
const admin = new Client({ connectionString: db.url });
await admin.connect();
await admin.query(`insert into chargebacks (payment_id, amount_minor, currency, status, created_at) select gen_random_uuid(), i, 'USD', 'open', now() - i * interval '1 second' from generate_series(1, $1) i`, [rows]);
await admin.query('vacuum analyze chargebacks');
const reset = async () => {
  await admin.query('update chargebacks set reported_at = null where reported_at is not null');
  await admin.query('vacuum analyze chargebacks');
};

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

async function measure(work) {
  const app = appWriter();
  await sleep(500);
  const t0 = performance.now();
  const changed = await work();
  const seconds = (performance.now() - t0) / 1000;
  return { rate: changed / seconds, seconds, ...(await app.stop()) };
}

const single = await measure(async () => (await admin.query('update chargebacks set reported_at = created_at where reported_at is null')).rowCount);
await reset();
// the design's cron: one 5,000-row batch a minute; one batch measured, the pace is 5,000 rows per 60 s
const cronBatch = await measure(async () => (await admin.query(`update chargebacks set reported_at = created_at where id in (select id from chargebacks where reported_at is null order by id limit 5000 for update skip locked)`)).rowCount);
await reset();
const ours = await measure(async () => {
  const r = await run(['backfill', 'chargebacks-reported-at'], db.url);
  if (r.code !== 0) throw new Error(r.err);
  const { rows: left } = await admin.query('select count(*)::int as n from chargebacks where reported_at is null');
  if (left[0].n !== 0) throw new Error(`${left[0].n} rows left`);
  return rows;
});
await reset();
const short = await measure(async () => {
  const r = await run(['backfill', 'chargebacks-reported-at', '--batch-time', '1s'], db.url);
  if (r.code !== 0) throw new Error(r.err);
  return rows;
});
await admin.end();
await db.stop();

console.log(`backfill of chargebacks.reported_at, ${rows} rows (primary key + idx_chargebacks_utr), app writer 4 x 50 writes/s (${db.server})`);
const line = (name, r, rate) => console.log(`  ${name.padEnd(46)} ${fmt(rate)} rows/s  app write p50 ${fmt(r.p50, 1)} ms  p99 ${fmt(r.p99, 1)} ms  max ${fmt(r.max)} ms  failed ${r.failed}`);
line('one single UPDATE (baseline, the ceiling)', single, single.rate);
line('design cron: 5,000 rows a minute', cronBatch, 5000 / 60);
line('ours: migrate backfill (start-up included)', ours, ours.rate);
line('ours with --batch-time 1s', short, short.rate);
console.log(`ours / single UPDATE: ${fmt(ours.rate / single.rate, 2)} of its rate (goal >= 0.5), ${fmt(short.rate / single.rate, 2)} with --batch-time 1s; ${fmt(ours.rate / (5000 / 60))}x the cron pace; app write p99 ${fmt(ours.p99, 1)} ms (${fmt(short.p99, 1)} ms with --batch-time 1s) vs ${fmt(single.p99, 1)} ms under the single UPDATE (goal < 50 ms)`);
