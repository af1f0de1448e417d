#!/usr/bin/env node
import { runCli } from './cli';

// Exit explicitly once the command is done: a connection an ORM keeps open must not hold a
// deploy Job past its work (stdout and stderr are synchronous on pipes and files here).
void runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
