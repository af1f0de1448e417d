import pino, { type Level, type Logger } from 'pino';
import type { Env } from '../env';
import type { Redactor } from '../redaction/redactor';
import { colorEnabled, palette } from './color';

export type LogFormat = 'json' | 'pretty';

/** JSON lines off a terminal or with LOG_FORMAT=json; readable lines on a terminal or with LOG_FORMAT=pretty. */
export function logFormat(env: Env, isTTY: boolean): LogFormat {
  if (env.LOG_FORMAT === 'json' || env.LOG_FORMAT === 'pretty') return env.LOG_FORMAT;
  return isTTY ? 'pretty' : 'json';
}

export interface LogBindings {
  runId?: string;
  app?: string;
  migration?: string;
  /** The fleet target (tenant) a run is for. */
  target?: string;
}

export interface LoggerOptions {
  env: Env;
  redactor: Redactor;
  /** Where lines go (default stderr: stdout is for results). */
  stream?: NodeJS.WritableStream;
  /** Whether the stream is a terminal (default: the stream's own isTTY). */
  isTTY?: boolean;
  /** Debug lines too. LOG_LEVEL, when a pino level, wins over both. */
  verbose?: boolean;
  bindings?: LogBindings;
}

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** One readable line: the message, with the level in front only when it needs attention. */
function prettyLine(json: string, colors: ReturnType<typeof palette>): string {
  const entry = JSON.parse(json) as { level: string; msg?: string; err?: { message?: string }; target?: string };
  const prefix = entry.level === 'warn' ? colors.yellow('warn: ') : entry.level === 'error' || entry.level === 'fatal' ? colors.red(`${entry.level}: `) : '';
  const message = entry.msg || entry.err?.message || '';
  // a fleet's targets run side by side: each line says whose it is
  const target = entry.target === undefined ? '' : `[${entry.target}] `;
  return `${target}${prefix}${message}`;
}

/**
 * A pino logger whose every line is redacted and carries the bound run id (and app and migration,
 * bound in child loggers). The redactor runs on each serialized line, so message, fields, bindings
 * and error stacks all pass through it, with no field list to keep up to date. Synchronous writes
 * to the stream, no worker-thread transport: cheap at start-up, nothing lost at process.exit.
 */
export function createLogger(options: LoggerOptions): Logger {
  const stream = options.stream ?? process.stderr;
  const isTTY = options.isTTY ?? Boolean((stream as NodeJS.WriteStream).isTTY);
  const format = logFormat(options.env, isTTY);
  const colors = palette(colorEnabled(options.env, isTTY));
  const redact = options.redactor;
  const destination = {
    write:
      format === 'json'
        ? (line: string) => {
            stream.write(redact(line));
          }
        : (line: string) => {
            stream.write(redact(prettyLine(line, colors)) + '\n');
          },
  };
  const envLevel = options.env.LOG_LEVEL?.toLowerCase();
  const level: Level = envLevel && LEVELS.includes(envLevel) ? (envLevel as Level) : options.verbose ? 'debug' : 'info';
  return pino(
    {
      level,
      // no pid or hostname on every line: the run id identifies the run
      base: Object.fromEntries(Object.entries(options.bindings ?? {}).filter(([, v]) => v !== undefined)),
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
