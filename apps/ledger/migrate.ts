#!/usr/bin/env node
/** The ledger app's migration CLI: the one `migrate` command, for this app only. */
import { runCli } from '@zdm/migration-cli';

void runCli(['--app', 'ledger', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
