#!/usr/bin/env node
// A fleet of tenant databases on one server, both example apps' migrations on each: ours
// (`migrate up --parallel N`, one process for the fleet) against the way teams script the plain ORM
// CLIs, a sequential loop with one process per tenant and app (`typeorm migration:run`,
// `mikro-orm migration:up`, compiled JavaScript), both measured in this run; then ours over a
// schema per tenant in one database (the plain CLIs have no per-schema switch to loop over).
// Goal: ours at least 10x faster than the loop.
// Usage: node bench/fleet/run.mjs [--tenants 200] [--schemas 1000] [--parallel 8]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, ROOT, numberArg, runCommand, scratchDatabase } from '../support.mjs';

const tenants = numberArg('--tenants', 200);
const schemas = numberArg('--schemas', 1000);
const parallel = numberArg('--parallel', 8);
const node = process.execPath;
const { Client } = createRequire(import.meta.url)(join(ROOT, 'node_modules/pg'));

const timed = async (work) => {
  const started = process.hrtime.bigint();
  const result = await work();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, result };
};

// one server, 2 x tenants databases (ours and the loop's own copies)
const admin = await scratchDatabase('zdm_bench_fleet_admin');
const adminClient = new Client({ connectionString: admin.url });
await adminClient.connect();
const urlOf = (name) => {
  const u = new URL(admin.url);
  u.pathname = `/${name}`;
  return u.toString();
};
const names = (prefix) => Array.from({ length: tenants }, (_, i) => `${prefix}_${String(i).padStart(4, '0')}`);
const ours = names('zdm_bench_fleet_ours');
const loop = names('zdm_bench_fleet_loop');
for (const name of [...ours, ...loop]) {
  await adminClient.query(`drop database if exists ${name} with (force)`);
  await adminClient.query(`create database ${name}`);
}
const dir = mkdtempSync(join(tmpdir(), 'zdm-bench-fleet-'));
const app = (name, orm, migrations) => ({ name, orm, migrations: [join(ROOT, migrations)], naming: 'timestamped', targets: { urls: 'TENANT_DATABASE_URLS' } });
writeFileSync(join(dir, 'fleet.json'), JSON.stringify({ apps: [app('payments', 'typeorm', 'apps/payments/dist/migrations/*.js'), app('ledger', 'mikro-orm', 'apps/ledger/dist/migrations/*.js')] }));

const oursRun = await timed(() => runCommand([node, 'libs/migration-cli/dist/main.js', '--config', join(dir, 'fleet.json'), 'up', '--parallel', String(parallel)], { TENANT_DATABASE_URLS: ours.map(urlOf).join('\n') }));
if (oursRun.result.code !== 0) throw new Error(`ours failed: ${oursRun.result.stderr.slice(-400)}`);
const loopRun = await timed(async () => {
  for (const name of loop) {
    const env = { DATABASE_URL: urlOf(name) };
    for (const argv of [
      [join(ROOT, 'node_modules/.bin/typeorm'), 'migration:run', '-d', 'apps/payments/dist/src/data-source.js'],
      [join(ROOT, 'node_modules/.bin/mikro-orm'), 'migration:up', '--config', 'apps/ledger/dist/src/mikro-orm.config.js'],
    ]) {
      const r = await runCommand(argv, env);
      if (r.code !== 0) throw new Error(`${argv.slice(1).join(' ')} on ${name} failed: ${r.stderr.slice(-300)}`);
    }
  }
});
// every tenant current, on both sides
const count = async (name, table) => {
  const c = new Client({ connectionString: urlOf(name) });
  await c.connect();
  try {
    return Number((await c.query(`select count(*) as n from ${table}`)).rows[0].n);
  } finally {
    await c.end();
  }
};
let current = 0;
for (const name of [...ours, ...loop]) if ((await count(name, 'migrations')) === 2 && (await count(name, 'mikro_orm_migrations')) === 2) current++;
for (const name of [...ours, ...loop]) await adminClient.query(`drop database if exists ${name} with (force)`);

// a schema per tenant in one database
const schemaDb = await scratchDatabase('zdm_bench_fleet_schemas');
const sc = new Client({ connectionString: schemaDb.url });
await sc.connect();
await sc.query('create table tenants (schema_name text primary key)');
for (let i = 0; i < schemas; i++) {
  const s = `tenant_${String(i).padStart(4, '0')}`;
  await sc.query(`create schema ${s}`);
  await sc.query('insert into tenants values ($1)', [s]);
}
await sc.end();
writeFileSync(join(dir, 'schemas.json'), JSON.stringify({ apps: [{ ...app('payments', 'typeorm', 'apps/payments/dist/migrations/*.js'), targets: { schemas: 'select schema_name from tenants order by 1' } }] }));
const schemaRun = await timed(() => runCommand([node, 'libs/migration-cli/dist/main.js', '--config', join(dir, 'schemas.json'), 'up', '--parallel', String(parallel)], { DATABASE_URL: schemaDb.url }));
if (schemaRun.result.code !== 0) throw new Error(`ours over schemas failed: ${schemaRun.result.stderr.slice(-400)}`);
await schemaDb.stop();
await adminClient.end();
await admin.stop();
rmSync(dir, { recursive: true, force: true });

console.log(`fleet of ${tenants} tenant databases on one server (${admin.server}), both example apps (4 migrations a tenant), node ${process.version}`);
console.log(`  ours: migrate up --parallel ${parallel}, one process                 ${fmt(oursRun.ms / 1000, 1)} s  (${fmt(oursRun.ms / tenants)} ms a tenant)`);
console.log(`  baseline: a loop of the plain CLIs, a process per tenant and app  ${fmt(loopRun.ms / 1000, 1)} s  (${fmt(loopRun.ms / tenants)} ms a tenant)`);
console.log(`  tenants current afterwards: ${current} of ${2 * tenants}`);
console.log(`loop / ours: ${fmt(loopRun.ms / oursRun.ms, 1)}x faster (goal >= 10x)`);
console.log(`${schemas} schemas in one database, payments' 2 migrations each: ours --parallel ${parallel} ${fmt(schemaRun.ms / 1000, 1)} s (${fmt(schemaRun.ms / schemas, 1)} ms a schema; no plain-CLI baseline: neither CLI takes a schema per run)`);
