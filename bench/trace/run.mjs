#!/usr/bin/env node
// The trace's cost and its estimate. On chargebacks with 500,000 rows (the primary key and
// idx_chargebacks_utr) and an app writer running: (1) `migrate trace --json` of the example app's
// pending migration, its split (scratch server start, replay, calibration, trace, catalog) against
// the 5 s goal, the project's embedded server started by the trace each time; (2) the estimated lock time of a rewriting
// ALTER COLUMN TYPE against the time the same plain ALTER really takes on that table, in this run
// (goal: within a factor of 3).
// Usage: node bench/trace/run.mjs [--rows 500000]
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fmt, ROOT, scratchDatabase } from '../support.mjs';

const require = createRequire(import.meta.url);
const { Client } = require(join(ROOT, 'node_modules/pg'));
const rows = Number(process.argv[process.argv.indexOf('--rows') + 1]) || 500_000;
const CLI = join(ROOT, 'libs/migration-cli/dist/main.js');

const REWRITE = `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ChargebacksAmountNumeric1705316400000 implements MigrationInterface {
  name = 'ChargebacksAmountNumeric1705316400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`ALTER TABLE "chargebacks" ALTER COLUMN "amount_minor" TYPE numeric\`);
  }

  async down(): Promise<void> {}
}
`;

/** Runs the CLI as its own process without blocking this one: the app writer keeps writing meanwhile. */
function migrate(args, env) {
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done({ ms: performance.now() - started, stdout }) : fail(new Error(`migrate ${args.join(' ')} exited ${code}: ${(stderr || stdout).slice(-400)}`))));
  });
}

const db = await scratchDatabase('zdm_bench_trace');
mkdirSync(join(ROOT, 'test/.tmp'), { recursive: true });
const dir = mkdtempSync(join(ROOT, 'test/.tmp/bench-trace-'));
const writer = new Client({ connectionString: db.url, application_name: 'app-writer' });
let writing = false;
let writes;
try {
  const env = { DATABASE_URL: db.url };
  await migrate(['up', '--app', 'payments', '--to', '202401150900__create_chargebacks'], env);
  const setup = new Client({ connectionString: db.url });
  await setup.connect();
  await setup.query(`insert into chargebacks (payment_id, amount_minor, currency, status) select gen_random_uuid(), i, 'USD', 'open' from generate_series(1, $1::int) i`, [rows]);
  await setup.query('vacuum analyze chargebacks');
  await setup.end();
  await writer.connect();
  writing = true;
  writes = (async () => {
    while (writing) {
      await writer.query(`update chargebacks set status = 'won' where id = $1`, [1 + Math.floor(Math.random() * rows)]);
      await new Promise((done) => setTimeout(done, 2));
    }
  })();

  console.log(`trace of the example app's pending migration (${rows.toLocaleString('en-US')} rows, ${db.server}, an app writer running):`);
  for (const run of ['first run', 'second run']) {
    const { ms, stdout } = await migrate(['trace', '--json', '--app', 'payments', '--sample', '2s'], env);
    const { timings: t, statements } = JSON.parse(stdout);
    const live = statements[0].relations.find((r) => r.name === 'public.chargebacks');
    console.log(
      `  ${run}: ${fmt(ms)} ms wall (goal 5000 ms; chargebacks ${live.rows.toLocaleString('en-US')} rows, ${live.writesPerSecond} writes/s): scratch server start ${t.serverStartMs} ms, replay ${t.replayMs} ms, calibration ${t.calibrationMs} ms, trace ${t.traceMs} ms, catalog ${t.catalogMs} ms, write-rate interval ${t.sampleMs} ms`,
    );
  }

  // a project of its own whose pending migration rewrites chargebacks
  cpSync(join(ROOT, 'apps/payments/migrations'), join(dir, 'migrations'), { recursive: true });
  writeFileSync(join(dir, 'migrations/202401151100__chargebacks_amount_numeric.ts'), REWRITE);
  writeFileSync(join(dir, 'migrate.config.json'), JSON.stringify({ apps: [{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts' }] }));
  await migrate(['--config', join(dir, 'migrate.config.json'), 'up', '--to', '202401151000__chargebacks_add_utr_reported_at'], env);
  const traced = JSON.parse((await migrate(['--config', join(dir, 'migrate.config.json'), 'trace', '--json', '--sample', '2s'], env)).stdout);
  const statement = traced.statements.find((s) => /TYPE numeric/.test(s.sql));
  const live = statement.relations.find((r) => r.name === 'public.chargebacks');
  const real = new Client({ connectionString: db.url });
  await real.connect();
  const started = performance.now();
  await real.query(`alter table chargebacks alter column amount_minor type numeric`);
  const realMs = performance.now() - started;
  await real.end();
  const ratio = statement.estimatedLockMs / realMs;
  console.log(
    `rewriting ALTER COLUMN TYPE on chargebacks (${live.rows.toLocaleString('en-US')} rows, ${fmt(live.bytes / 1024 / 1024, 1)} MB, ${live.writesPerSecond} writes/s): rewrites ${JSON.stringify(statement.rewrites)}, estimated lock ${statement.estimatedLockMs} ms, the plain ALTER took ${fmt(realMs)} ms: ratio ${fmt(ratio, 2)} (goal between 0.33 and 3)`,
  );
  if (ratio < 1 / 3 || ratio > 3) process.exitCode = 1;
} finally {
  writing = false;
  await writes;
  await writer.end().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  await db.stop();
}
