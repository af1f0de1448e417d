#!/usr/bin/env node
// `make test-matrix`: the suites of test/matrix.json on every supported PostgreSQL major, one jest
// run (one server) per major. PG_MAJORS="13 18" picks some. Prints a table, major × suite, of
// passed/failed counts from jest's JSON results, and ends with one plain line `N passed, N failed`.
// With DATABASE_URL set, each run uses that server and the harness checks it is of the major asked.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBinaries } from './pg-binaries.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const matrix = JSON.parse(readFileSync(join(root, 'test/matrix.json'), 'utf8'));
const majors = (process.env.PG_MAJORS ?? Object.keys(matrix.majors).join(' ')).split(/[\s,]+/).filter(Boolean);
for (const major of majors) {
  if (!matrix.majors[major]) {
    console.error(`PG_MAJORS names ${major}: expected some of ${Object.keys(matrix.majors).join(' ')} (test/matrix.json)`);
    process.exit(2);
  }
}
const suites = matrix.suites;
const short = (suite) => suite.split('/').pop().replace(/(\.e2e)?\.spec\.ts$/, '');

// fetched before the clock starts, so a first run's downloads are not counted as test time
if (!process.env.DATABASE_URL) for (const major of majors) ensureBinaries(major);

const outDir = mkdtempSync(join(tmpdir(), 'zdm-matrix-'));
const rows = [];
const started = Date.now();
for (const major of majors) {
  process.stderr.write(`\n=== PostgreSQL ${major} (${matrix.majors[major]}) ===\n`);
  const out = join(outDir, `${major}.json`);
  const t0 = Date.now();
  const run = spawnSync(process.execPath, ['node_modules/jest/bin/jest.js', '--json', `--outputFile=${out}`, '--runTestsByPath', ...suites], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PG_MAJOR: major, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim() },
  });
  const counts = Object.fromEntries(suites.map((s) => [s, { passed: 0, failed: 0, ran: false }]));
  if (existsSync(out)) {
    for (const file of JSON.parse(readFileSync(out, 'utf8')).testResults) {
      const suite = suites.find((s) => file.name.endsWith(s));
      if (!suite) continue;
      const c = counts[suite];
      c.ran = true;
      c.passed = file.assertionResults.filter((a) => a.status === 'passed').length;
      c.failed = file.assertionResults.filter((a) => a.status === 'failed').length;
      // a test file that could not run at all counts as a failure, as in scripts/test.mjs
      if (file.status === 'failed' && file.assertionResults.length === 0) c.failed += 1;
    }
  }
  // a suite jest never reported (the server did not start, say) is a failure too
  for (const c of Object.values(counts)) if (!c.ran) c.failed += 1;
  if (run.status !== 0 && Object.values(counts).every((c) => c.failed === 0)) counts[suites[0]].failed += 1;
  rows.push({ major, counts, seconds: (Date.now() - t0) / 1000 });
}

const header = ['major', ...suites.map(short), 'time'];
const table = [header, ...rows.map((r) => [`${r.major}`, ...suites.map((s) => `${r.counts[s].passed}/${r.counts[s].failed}`), `${r.seconds.toFixed(0)} s`])];
const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
const line = (row) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
let passed = 0;
let failed = 0;
for (const c of rows.flatMap((r) => Object.values(r.counts))) {
  passed += c.passed;
  failed += c.failed;
}
console.log(`\nPostgreSQL matrix (passed/failed per suite), ${((Date.now() - started) / 1000).toFixed(0)} s in all:\n`);
console.log(line(table[0]));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of table.slice(1)) console.log(line(row));
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
