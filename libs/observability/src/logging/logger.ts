import pino, { type Logger } from 'pino';
import type { Env } from '../env';
import type { Redactor } from '../redaction/redactor';

export type LogFormat = 'json' | 'pretty';

/** JSON lines off a terminal or with LOG_FORMAT=json; readable lines on a terminal or with LOG_FORMAT=pretty. */
export function logFormat(env: Env, isTTY: boolean): LogFormat {
  if (env.LOG_FORMAT === 'json' || env.LOG_FORMAT === 'pretty') return env.LOG_FORMAT;
  return isTTY ? 'pretty' : 'json';
}

export interface LoggerOptions {
  env: Env;
  redactor: Redactor;
  /** Where lines go (default stderr). */
  stream?: NodeJS.WritableStream;
  isTTY?: boolean;
  verbose?: boolean;
  bindings?: { runId?: string; app?: string; migration?: string };
}

/**
 * A pino logger whose every line is redacted and carries the run id (and app and migration in
 * child loggers). Synchronous writes, no worker-thread transport: cheap at start-up.
 */
export function createLogger(options: LoggerOptions): Logger {
  const stream = options.stream ?? process.stderr;
  const format = logFormat(options.env, options.isTTY ?? Boolean((stream as NodeJS.WriteStream).isTTY));
  const redact = options.redactor;
  const destination =
    format === 'json'
      ? { write: (line: string) => stream.write(redact(line)) }
      : {
          write: (line: string) => {
            const entry = JSON.parse(line) as { level: string; msg: string; app?: string; migration?: string };
            const prefix = entry.level === 'warn' || entry.level === 'error' ? `${entry.level}: ` : '';
            stream.write(redact(`${prefix}${entry.msg}`) + '\n');
          },
        };
  return pino(
    {
      level: options.verbose ? 'debug' : 'info',
      base: options.bindings ?? {},
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
