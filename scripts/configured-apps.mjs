#!/usr/bin/env node
// The app names of the project's migrate config, one a line: what the migrate workflow checks
// its free-text `app` input against before anything runs.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { findConfig, loadConfig } = require('../libs/migration-cli/dist/index.js');
const file = findConfig(process.cwd());
if (!file) {
  console.error(`no migrate config in ${process.cwd()} or above`);
  process.exit(2);
}
for (const app of loadConfig(file).apps) console.log(app.name);
