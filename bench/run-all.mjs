#!/usr/bin/env node
// Runs every benchmark under bench/ one after the other and prints their reports (`make bench`).
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support.mjs';

let failed = 0;
for (const name of readdirSync(join(ROOT, 'bench')).sort()) {
  const script = join(ROOT, 'bench', name, 'run.mjs');
  if (!existsSync(script)) continue;
  console.log(`\n== bench/${name}`);
  const r = spawnSync(process.execPath, [script, ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
