#!/usr/bin/env node
import { runCli } from './cli';

// A reader that goes away (`migrate status | head`, a log shipper that restarts) must not end a
// run halfway through a migration: what is written to a closed pipe is dropped, the run goes on
// and its exit code stands. Other stream errors stay fatal.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

// Exit explicitly once the command is done: a connection an ORM keeps open must not hold a
// deploy Job past its work (stdout and stderr are synchronous on pipes and files here).
void runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
