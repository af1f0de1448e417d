#!/usr/bin/env node
// Twelve deploy pods started at once, one release behind (each app's newest migration pending):
// our `migrate up` for both example apps, against the plain TypeORM CLI's twelve
// `typeorm migration:run` (compiled JavaScript, one app, no lock of its own) on its own copy, both
// measured in this run. Goal: ours for both apps at or under the plain CLI's for one app, with
// each migration applied exactly once. Usage: node bench/concurrent-deploy/run.mjs [--runs 3] [--pods 12]
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fmt, median, ROOT, numberArg, runCommand, scratchDatabase } from '../support.mjs';

const runs = numberArg('--runs', 3);
const pods = numberArg('--pods', 12);
const node = process.execPath;
const { Client } = createRequire(import.meta.url)(join(ROOT, 'node_modules/pg'));


async function query(url, sql) {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

/** Twelve at once: the wall time until the last exits, and how many exited non-zero. */
async function burst(argv, env) {
  const started = process.hrtime.bigint();
  const results = await Promise.all(Array.from({ length: pods }, () => runCommand(argv, env)));
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, failed: results.filter((r) => r.code !== 0).length };
}

const cli = [node, 'libs/migration-cli/dist/main.js'];
const ours = [];
const plain = [];
for (let i = 0; i < runs; i++) {
  // ours: both apps, one release behind
  const a = await scratchDatabase(`zdm_bench_deploy_ours_${i}`);
  for (const [app, to] of [['payments', '202401150900__create_chargebacks'], ['ledger', '202401150930__create_ledger_accounts_and_entries']]) {
    const r = await runCommand([...cli, 'up', '--app', app, '--to', to], { DATABASE_URL: a.url });
    if (r.code !== 0) throw new Error(`setting up release N-1 failed: ${r.stderr.slice(-300)}`);
  }
  const o = await burst([...cli, 'up'], { DATABASE_URL: a.url });
  const [{ ups }] = await query(a.url, `select count(*)::int as ups from migration_runs where direction = 'up' and status = 'succeeded'`);
  ours.push({ ...o, applies: ups });
  await a.stop();

  // the plain TypeORM CLI: one app, one release behind, on its own database
  const b = await scratchDatabase(`zdm_bench_deploy_plain_${i}`);
  const setUp = await runCommand([...cli, 'up', '--app', 'payments', '--to', '202401150900__create_chargebacks'], { DATABASE_URL: b.url });
  if (setUp.code !== 0) throw new Error(`setting up the plain CLI's release N-1 failed: ${setUp.stderr.slice(-300)}`);
  const p = await burst([join(ROOT, 'node_modules/.bin/typeorm'), 'migration:run', '-d', 'apps/payments/dist/src/data-source.js'], { DATABASE_URL: b.url });
  const [{ rows }] = await query(b.url, `select count(*)::int as rows from migrations`);
  plain.push({ ...p, rows });
  await b.stop();
}

console.log(`${pods} deploy pods at once, one release behind, ${runs} runs, medians (node ${process.version})`);
console.log(`  ours: migrate up, both apps (2 pending)          ${fmt(median(ours.map((r) => r.ms)))} ms  [${ours.map((r) => fmt(r.ms)).join(', ')}]  exits non-zero: ${ours.map((r) => r.failed).join(', ')}; up runs recorded: ${ours.map((r) => r.applies).join(', ')} (4 = 2 before + each pending one once)`);
console.log(`  baseline, typeorm migration:run, payments only    ${fmt(median(plain.map((r) => r.ms)))} ms  [${plain.map((r) => fmt(r.ms)).join(', ')}]  exits non-zero: ${plain.map((r) => r.failed).join(', ')}; history rows: ${plain.map((r) => r.rows).join(', ')} (2 when each migration ran once)`);
console.log(`ours (both apps) / plain CLI (one app): ${fmt(median(ours.map((r) => r.ms)) / median(plain.map((r) => r.ms)), 2)} (goal <= 1.00)`);
