import type { Logger } from 'pino';
import type { Redactor } from '@zdm/observability';

type Fields = { app?: string; migration?: string; [key: string]: unknown };

/**
 * Where everything the CLI prints goes: results on stdout (tables, plan SQL, JSON documents),
 * logs and timings on stderr through the logger (JSON lines off a terminal, readable lines on
 * one); every byte through the redactor.
 */
export class Output {
  constructor(
    private readonly stdout: NodeJS.WritableStream,
    private readonly logger: Logger,
    readonly redact: Redactor,
    readonly json: boolean,
    readonly verbose: boolean,
  ) {}

  /** A result line on stdout. */
  result(text: string): void {
    this.stdout.write(this.redact(text) + '\n');
  }

  /** One JSON document or JSON line on stdout. */
  document(value: unknown): void {
    this.stdout.write(this.redact(JSON.stringify(value)) + '\n');
  }

  log(text: string, fields: Fields = {}): void {
    this.logger.info(fields, text);
  }

  warn(text: string, fields: Fields = {}): void {
    this.logger.warn(fields, text);
  }

  error(text: string, fields: Fields = {}): void {
    this.logger.error(fields, text);
  }

  /** Shown only with --verbose. */
  debug(text: string, fields: Fields = {}): void {
    this.logger.debug(fields, text);
  }
}
