#!/usr/bin/env node
import './compile-cache';
import { quickSqlLint } from './sql-lint';

// The command line parser, the logger and the commands load only when the quick path of a .sql
// lint does not apply (see sql-lint.ts).
const cli = () => require('./cli') as typeof import('./cli');
const observability = () => require('@zdm/observability') as typeof import('@zdm/observability');

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
let warningLogger: ReturnType<typeof import('@zdm/observability').createLogger> | undefined;
process.on('warning', (warning: Error & { code?: string }) => {
  const { createLogger, createRedactor } = observability();
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
// A reader that stalls (it never reads) gets 10 s, not the Job's deadline.
const atMost = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const exit = (code: number) => void Promise.race([Promise.all([flushed(process.stdout), flushed(process.stderr)]), atMost(10_000)]).then(() => process.exit(code));
const argv = process.argv.slice(2);
void quickSqlLint(argv, { stdout: process.stdout, cwd: process.cwd(), env: process.env })
  .then((code) => code ?? cli().runCli(argv))
  .then(exit, (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    exit(1);
  });
