import type { Level, Logger } from 'pino';
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
  // loaded here, not at the top: a command that logs nothing never loads pino (see lazyLogger)
  const pino = require('pino') as typeof import('pino');
  return pino.pino(
    {
      level: logLevel(options),
      // no pid or hostname on every line: the run id identifies the run
      base: Object.fromEntries(Object.entries(options.bindings ?? {}).filter(([, v]) => v !== undefined)),
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** The level a logger for these options logs at: LOG_LEVEL when it is a pino level, else debug with --verbose, else info. */
export function logLevel(options: Pick<LoggerOptions, 'env' | 'verbose'>): Level {
  const envLevel = options.env.LOG_LEVEL?.toLowerCase();
  return envLevel && LEVELS.includes(envLevel) ? (envLevel as Level) : options.verbose ? 'debug' : 'info';
}

/** What a command line logs through: the four levels it uses. */
export type LineLogger = Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;

const RANK: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/**
 * createLogger's logger, made on the first line at or above its level. Loading pino and building
 * the logger is a tenth of a cold command's start-up; a run with nothing to report (`status` in a
 * readiness probe, `up` with nothing pending) logs no line and pays none of it.
 */
export function lazyLogger(options: LoggerOptions): LineLogger {
  let logger: Logger | undefined;
  const threshold = RANK[logLevel(options)] ?? RANK.info;
  const at =
    (level: 'info' | 'warn' | 'error' | 'debug') =>
    (...args: unknown[]): void => {
      if (RANK[level] < threshold) return;
      logger ??= createLogger(options);
      (logger[level] as (...a: unknown[]) => void)(...args);
    };
  return { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } as LineLogger;
}
