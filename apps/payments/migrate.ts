#!/usr/bin/env node
/** The payments app's migration CLI: the one `migrate` command, for this app only. */
import { runCli } from '@zdm/migration-cli';

void runCli(['--app', 'payments', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
