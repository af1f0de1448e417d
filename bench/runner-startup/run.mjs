#!/usr/bin/env node
// "Nothing pending", cold process, both example apps: our `migrate:all` against the plain ORM CLIs
// as users run them (typeorm-ts-node-commonjs migration:show, mikro-orm migration:pending with its
// default loader) and the same plain CLIs through compiled JavaScript, all measured in this run.
// Goal: ours at most half the plain CLIs' time. Usage: node bench/runner-startup/run.mjs [--runs 7]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, median, ROOT, scratchDatabase, timeCommand } from '../support.mjs';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 7;
const gnuTime = existsSync('/usr/bin/time');
const node = process.execPath;
const bin = (name) => join(ROOT, 'node_modules/.bin', name);

const db = await scratchDatabase('zdm_bench_startup');
const env = { DATABASE_URL: db.url, NODE_OPTIONS: '' };
timeCommand([node, 'libs/migration-cli/dist/main.js', 'up'], env, false);

const subjects = {
  'ours: migrate:all (up, both apps, compiled)': [node, 'libs/migration-cli/dist/main.js', 'up'],
  'typeorm-ts-node-commonjs migration:show': [bin('typeorm-ts-node-commonjs'), 'migration:show', '-d', 'apps/payments/src/data-source.ts'],
  'mikro-orm migration:pending (default loader)': [bin('mikro-orm'), 'migration:pending', '--config', 'apps/ledger/src/mikro-orm.config.ts'],
  'typeorm migration:show (compiled JS)': [bin('typeorm'), 'migration:show', '-d', 'apps/payments/dist/src/data-source.js'],
  'mikro-orm migration:pending (compiled JS)': [bin('mikro-orm'), 'migration:pending', '--config', 'apps/ledger/dist/src/mikro-orm.config.js'],
  'node -e 0': [node, '-e', '0'],
  // with the compile cache on, as main.js turns it on before anything else loads
  'node + the CLI loaded (require, nothing run)': [node, '-e', `require('node:module').enableCompileCache();require(${JSON.stringify(join(ROOT, 'libs/migration-cli/dist/cli.js'))})`],
  'node + pg connect + select 1': [node, '-e', `const {Client}=require('${join(ROOT, 'node_modules/pg')}');const c=new Client({connectionString:process.env.DATABASE_URL});c.connect().then(()=>c.query('select 1')).then(()=>c.end())`],
};
const results = {};
for (let i = 0; i < runs; i++) {
  for (const [name, argv] of Object.entries(subjects)) {
    const r = timeCommand(argv, env, gnuTime);
    (results[name] ??= { ms: [], rss: [] }).ms.push(r.ms);
    results[name].rss.push(r.rssMiB);
  }
}
await db.stop();

console.log(`runner start-up, nothing pending, ${runs} cold runs each, medians (${db.server}, node ${process.version})`);
for (const [name, r] of Object.entries(results)) console.log(`  ${name.padEnd(48)} ${fmt(median(r.ms))} ms  ${fmt(median(r.rss))} MiB`);
const ours = median(results['ours: migrate:all (up, both apps, compiled)'].ms);
const plain = median(results['typeorm-ts-node-commonjs migration:show'].ms) + median(results['mikro-orm migration:pending (default loader)'].ms);
const compiled = median(results['typeorm migration:show (compiled JS)'].ms) + median(results['mikro-orm migration:pending (compiled JS)'].ms);
console.log(`baseline, the two plain CLIs as users run them: ${fmt(plain)} ms; through compiled JS: ${fmt(compiled)} ms`);
console.log(`ours / plain CLIs: ${fmt(ours / plain, 2)} (goal <= 0.50); ours / compiled plain CLIs: ${fmt(ours / compiled, 2)}`);
// the split, by difference of the runs above: node's own start, loading the CLI's modules, and the rest (config, connect, queries, exit)
const start = median(results['node -e 0'].ms);
const loaded = median(results['node + the CLI loaded (require, nothing run)'].ms);
const floor = median(results['node + pg connect + select 1'].ms);
console.log(`where ours goes: node start ${fmt(start)} ms, module load ${fmt(loaded - start)} ms, the run (config, env, connect, queries, exit) ${fmt(ours - loaded)} ms`);
console.log(`ours / the floor (node + pg connect + select 1): time ${fmt(ours / floor, 2)} (aim <= 2.00), peak ${fmt(median(results['ours: migrate:all (up, both apps, compiled)'].rss))} MiB (aim <= 80)`);
