#!/usr/bin/env node
// Linting one .sql file of 1,000 migration statements, cold process: our `lint --format json` (with
// this repository's migrate.config.ts, with a JSON config, and as a first run: without Node's
// compile cache, which the CLI enables and the warm-up run fills), valibot alone (the config's
// validation), the lint library alone (lintSql in a bare node script, split into node start,
// module load, parse and rules; both scripts use the compile cache as the CLI does) and squawk (the
// npm package's `squawk`, and its native binary alone), all measured in this run. Goal: ours at or under squawk's wall time, within 2x its peak RSS. squawk comes from the
// npm registry: npm install --prefix .tools/squawk squawk-cli (.tools is git-ignored).
// Usage: node bench/lint/run.mjs [--runs 5]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, median, ROOT } from '../support.mjs';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const STATEMENTS = 1_000;
const gnuTime = existsSync('/usr/bin/time');
const node = process.execPath;
const squawkWrapper = join(ROOT, '.tools/squawk/node_modules/.bin/squawk');
const squawkNative = join(ROOT, `.tools/squawk/node_modules/@squawk-cli/${process.platform}-${process.arch}/bin/squawk`);

/** Statement i of the file: the shapes migrations emit, cycled, on tables and columns named by i (no randomness). */
function statement(i) {
  const t = `billing.t${i % 97}`;
  const c = `col_${i}`;
  const shapes = [
    () => `alter table ${t} add column ${c} text;`,
    () => `alter table ${t} add column ${c} bigint not null default 0;`,
    () => `alter table ${t} add column ${c} timestamptz default now();`,
    () => `create index concurrently if not exists ${t.split('.')[1]}_${c}_idx on ${t} (${c});`,
    () => `create index ${t.split('.')[1]}_${c}_idx on ${t} (${c}, created_at desc) where deleted_at is null;`,
    () => `alter table ${t} add constraint ${c}_positive check (${c} > 0) not valid;`,
    () => `alter table ${t} validate constraint ${c}_positive;`,
    () => `alter table ${t} add constraint ${c}_fk foreign key (${c}) references billing.accounts (id) not valid;`,
    () => `alter table ${t} alter column ${c} set not null;`,
    () =>
      `create table if not exists billing.events_${i} (\n  id bigint generated always as identity primary key,\n  account_id bigint not null references billing.accounts (id),\n  kind text not null,\n  amount_minor bigint not null check (amount_minor >= 0),\n  payload jsonb not null default '{}'::jsonb,\n  created_at timestamptz not null default now()\n);`,
    () => `drop index concurrently if exists billing.${t.split('.')[1]}_old_${i}_idx;`,
    () => `drop index billing.${t.split('.')[1]}_legacy_${i}_idx;`,
    () => `update ${t} set ${c} = 'unknown' where id between ${i * 1000} and ${i * 1000 + 999} and ${c} is null;`,
    () => `alter table ${t} rename column ${c} to ${c}_renamed;`,
    () => `alter table billing.events_${i} rename to events_${i}_archived;`,
    () => `alter type billing.payment_status add value if not exists 'state_${i}';`,
    () => `alter table ${t} alter column ${c} type varchar(255);`,
    () => `-- ${c}: backfilled in batches by the job\nalter table ${t} add column ${c}_flag boolean;`,
    () => `set lock_timeout = '500ms';`,
    () => `comment on column ${t}.${c} is 'added for refunds, see the runbook';`,
  ];
  return shapes[i % shapes.length]();
}

const dir = mkdtempSync(join(tmpdir(), 'zdm-bench-lint-'));
const file = join(dir, 'migration.sql');
const sql = Array.from({ length: STATEMENTS }, (_, i) => statement(i)).join('\n') + '\n';
writeFileSync(file, sql);
const jsonConfig = join(dir, 'migrate.config.json');
// valibot, as the config's validation loads it: its share of the CLI's start-up
const valibotScript = join(dir, 'valibot.cjs');
writeFileSync(
  valibotScript,
  `const rss = process.memoryUsage().rss;
const t0 = performance.now();
require('node:module').enableCompileCache(); // as the CLI does
require('node:module').createRequire(${JSON.stringify(join(ROOT, 'libs/migration-cli/package.json'))})('valibot');
process.stdout.write(JSON.stringify({ ms: performance.now() - t0, rssMiB: (process.memoryUsage().rss - rss) / 1048576 }));
`,
);
writeFileSync(jsonConfig, JSON.stringify({ apps: [{ name: 'bench', orm: 'typeorm', migrations: 'migration.sql' }] }));

// the library alone: node start, then each phase timed inside the process
const libraryScript = join(dir, 'library.cjs');
writeFileSync(
  libraryScript,
  `const t0 = performance.now();
require('node:module').enableCompileCache(); // as the CLI does
const { readFileSync } = require('node:fs');
const lint = require(${JSON.stringify(join(ROOT, 'libs/migration-lint/dist/index.js'))});
(async () => {
  await lint.parseStatements('select 1'); // loads libpg-query's WASM module, as the first lint does
  const t1 = performance.now();
  const sql = readFileSync(process.argv[2], 'utf8');
  const parsed = await lint.parseStatements(sql);
  const t2 = performance.now();
  // as the CLI reads a .sql file: transactional unless a statement must run outside a transaction
  const transactional = !parsed.some((s) => lint.mustRunOutsideTransaction(s.kind, s.node));
  const findings = await lint.lintSql(sql, { file: process.argv[2], migration: 'migration', transactional });
  const t3 = performance.now();
  // lintSql takes the tree of the parse just measured (the last parse is kept): the rest is its rules
  process.stdout.write(JSON.stringify({ statements: parsed.length, findings: findings.length, load: t1 - t0, parse: t2 - t1, rules: t3 - t2 }));
})();
`,
);

/** One run: wall ms, peak RSS MiB (GNU time's %M: the largest of the process and its children), stdout. */
function run(argv, okCodes = [0], env = {}) {
  const started = process.hrtime.bigint();
  const withTime = gnuTime ? ['/usr/bin/time', '-f', '%M', ...argv] : argv;
  const r = spawnSync(withTime[0], withTime.slice(1), { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1', ...env }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.error) throw r.error;
  if (!okCodes.includes(r.status)) throw new Error(`${argv.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).slice(-400)}`);
  const rssKb = gnuTime ? Number(r.stderr.trim().split('\n').at(-1)) : NaN;
  return { ms, rssMiB: rssKb / 1024, stdout: r.stdout, status: r.status };
}

const squawk = existsSync(squawkNative) && existsSync(squawkWrapper);
// with findings, our lint exits 5 and squawk 1: any other code is a failure
const subjects = {
  'ours: lint --format json <file>': [[node, 'libs/migration-cli/dist/main.js', 'lint', '--format', 'json', file], [5]],
  'ours, JSON config: --config migrate.config.json lint ...': [[node, 'libs/migration-cli/dist/main.js', '--config', jsonConfig, 'lint', '--format', 'json', file], [5]],
  'ours, a first run: NODE_DISABLE_COMPILE_CACHE=1 lint ...': [[node, 'libs/migration-cli/dist/main.js', 'lint', '--format', 'json', file], [5], { NODE_DISABLE_COMPILE_CACHE: '1' }],
  'valibot alone: require in a bare node script': [[node, valibotScript]],
  'library alone: lintSql in a bare node script': [[node, libraryScript, file]],
  ...(squawk && {
    'squawk <file> (npm package: node wrapper + binary)': [[squawkWrapper, file], [1]],
    'squawk <file> (native binary alone)': [[squawkNative, file], [1]],
  }),
  'node -e 0': [[node, '-e', '0']],
};

const results = {};
const phases = { load: [], parse: [], rules: [] };
let counts;
let valibot;
try {
  for (const [argv, okCodes, env] of Object.values(subjects)) run(argv, okCodes, env); // warm the page cache (and the compile cache)
  for (let i = 0; i < runs; i++) {
    for (const [name, [argv, okCodes, env]] of Object.entries(subjects)) {
      const r = run(argv, okCodes, env);
      (results[name] ??= { ms: [], rss: [], runs: [] }).ms.push(r.ms);
      results[name].rss.push(r.rssMiB);
      if (name.startsWith('library')) {
        const p = JSON.parse(r.stdout);
        for (const k of Object.keys(phases)) phases[k].push(p[k]);
        counts = { ...counts, statements: p.statements, libraryFindings: p.findings };
      }
      if (name.startsWith('valibot')) (valibot ??= []).push(JSON.parse(r.stdout));
      if (name.startsWith('ours:')) counts = { ...counts, oursFindings: JSON.parse(r.stdout).findings.length };
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const spread = (xs, digits = 0) => `${fmt(Math.min(...xs), digits)}-${fmt(Math.max(...xs), digits)}`;
console.log(`lint, one .sql file of ${counts.statements} statements (${(sql.length / 1024).toFixed(0)} KiB), ${runs} cold runs each, medians [min-max] (node ${process.version})`);
for (const [name, r] of Object.entries(results)) {
  console.log(`  ${name.padEnd(56)} ${fmt(median(r.ms)).padStart(5)} ms [${spread(r.ms)}]  ${fmt(median(r.rss), 1).padStart(5)} MiB [${spread(r.rss, 1)}]`);
}
console.log(`  findings: ours ${counts.oursFindings}, library ${counts.libraryFindings}`);
const nodeStart = median(results['node -e 0'].ms);
const ours = results['ours: lint --format json <file>'];
const oursJson = results['ours, JSON config: --config migrate.config.json lint ...'];
const firstRun = results['ours, a first run: NODE_DISABLE_COMPILE_CACHE=1 lint ...'];
const library = results['library alone: lintSql in a bare node script'];
const [load, parse, rules] = [median(phases.load), median(phases.parse), median(phases.rules)];
console.log(
  `where the library's time goes: node start ${fmt(nodeStart)} ms, module load (require + libpg-query WASM) ${fmt(load)} ms, parse ${fmt(parse)} ms, rules (lintSql on the parsed tree) ${fmt(rules)} ms, the rest (reading, output, exit) ${fmt(median(library.ms) - nodeStart - load - parse - rules)} ms`,
);
console.log(
  `the CLI over the library: +${fmt(median(ours.ms) - median(library.ms))} ms, +${fmt(median(ours.rss) - median(library.rss), 1)} MiB; of which the TypeScript config (type-stripped by Node, from the compile cache) ${fmt(median(ours.ms) - median(oursJson.ms))} ms, ${fmt(median(ours.rss) - median(oursJson.rss), 1)} MiB; loading valibot (the config's validation) ${fmt(median(valibot.map((x) => x.ms)))} ms, ${fmt(median(valibot.map((x) => x.rssMiB)), 1)} MiB; the rest is the config's globs, env files and the report`,
);
console.log(
  `a first run (an empty compile cache: every module compiled, the TypeScript config stripped by Node's own swc build): +${fmt(median(firstRun.ms) - median(ours.ms))} ms, +${fmt(median(firstRun.rss) - median(ours.rss), 1)} MiB over a repeated run`,
);
if (!squawk) {
  console.log(`squawk: not installed (${squawkNative} missing): npm install --prefix .tools/squawk squawk-cli; no ratios`);
} else {
  for (const which of ['npm package: node wrapper + binary', 'native binary alone']) {
    const s = results[`squawk <file> (${which})`];
    console.log(
      `ours / squawk (${which}): time ${fmt(median(ours.ms) / median(s.ms), 2)} (goal <= 1.00), memory ${fmt(median(ours.rss) / median(s.rss), 2)} (goal <= 2.00); library / squawk: time ${fmt(median(library.ms) / median(s.ms), 2)}, memory ${fmt(median(library.rss) / median(s.rss), 2)}`,
    );
  }
}
