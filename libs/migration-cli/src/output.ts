import type { Redactor } from '@zdm/observability';
import type { LineLogger } from '@zdm/observability/logging';

type Fields = { app?: string; migration?: string; [key: string]: unknown };

/**
 * Where everything the CLI prints goes: results on stdout (tables, plan SQL, JSON documents),
 * logs and timings on stderr through the logger (JSON lines off a terminal, readable lines on
 * one); every byte through the redactor.
 */
export class Output {
  constructor(
    private readonly stdout: NodeJS.WritableStream,
    private readonly logger: LineLogger,
    readonly redact: Redactor,
    readonly json: boolean,
    readonly verbose: boolean,
    /** The fleet target this output speaks for: on every log line, result line and document. */
    readonly target?: string,
  ) {}

  /** A result line on stdout. */
  result(text: string): void {
    const line = this.target === undefined ? text : text.replace(/^/gm, `[${this.target}] `);
    this.stdout.write(this.redact(line) + '\n');
  }

  /** One JSON document or JSON line on stdout. */
  document(value: unknown): void {
    const tagged = this.target !== undefined && value && typeof value === 'object' && !Array.isArray(value) ? { target: this.target, ...value } : value;
    this.stdout.write(this.redact(JSON.stringify(tagged)) + '\n');
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
