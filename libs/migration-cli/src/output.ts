import type { Redactor } from '@zdm/observability';

/**
 * Where everything the CLI prints goes: results on stdout (tables, plan SQL, JSON documents),
 * logs and timings on stderr; every byte through the redactor.
 */
export class Output {
  constructor(
    private readonly stdout: NodeJS.WritableStream,
    private readonly stderr: NodeJS.WritableStream,
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

  /** A log line on stderr. */
  log(text: string): void {
    this.stderr.write(this.redact(text) + '\n');
  }

  /** A log line shown only with --verbose. */
  debug(text: string): void {
    if (this.verbose) this.log(text);
  }
}
