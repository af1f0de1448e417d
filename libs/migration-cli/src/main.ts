#!/usr/bin/env node
import { createLogger, createRedactor } from '@zdm/observability';
import { runCli } from './cli';

// A reader that goes away (`migrate status | head`, a log shipper that restarts) must not end a
// run halfway through a migration: what is written to a closed pipe is dropped, the run goes on
// and its exit code stands. Other stream errors stay fatal.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

// A process warning (a library's deprecation, a security notice) goes through the CLI's logger,
// redacted: one JSON line when the logs are JSON, never Node's own multi-line print into the stream.
process.removeAllListeners('warning');
let warningLogger: ReturnType<typeof createLogger> | undefined;
process.on('warning', (warning: Error & { code?: string }) => {
  warningLogger ??= createLogger({ env: process.env, redactor: createRedactor(process.env), stream: process.stderr, isTTY: Boolean(process.stderr.isTTY) });
  warningLogger.warn({ warning: warning.name, ...(warning.code && { code: warning.code }) }, warning.message.replace(/\s*\n\s*/g, ' ').trim());
});

/**
 * Resolves once what the stream holds is written. A pipe takes 64 KiB at once; the rest of a large
 * document (`lint --format json | jq` on many findings) waits in the stream, and exiting before it
 * is out would cut the document. A reader that went away (EPIPE) resolves it too.
 */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (!stream.writableLength || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('error', () => resolve());
    stream.write('', () => resolve());
  });
}

// Exit explicitly once the command is done and its output is written: a connection an ORM keeps
// open must not hold a deploy Job past its work.
const exit = (code: number) => void Promise.all([flushed(process.stdout), flushed(process.stderr)]).then(() => process.exit(code));
void runCli(process.argv.slice(2)).then(exit, (error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  exit(1);
});
