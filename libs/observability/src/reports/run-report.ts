import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createRedactor, redactDeep, type Redactor } from '../redaction/redactor';

export interface RunReportMigration {
  app: string;
  migration: string;
  direction: 'up' | 'down';
  status: 'applied' | 'reverted' | 'failed' | 'skipped';
  durationMs: number;
  /** Lock-timeout retries: attempts beyond the first. */
  retries: number;
  lockWaitMs: number;
  error?: string;
}

/** One run of a command, for machines (`--report`) and for the GitHub job summary. */
export interface RunReport {
  runId: string;
  /** The fleet target (tenant) of the run. */
  target?: string;
  command: string;
  env: string;
  status: 'ok' | 'failed' | 'interrupted';
  /** ISO 8601. */
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  migrations: RunReportMigration[];
  /** What the automatic revert undid after a failure, in the order it ran. */
  reverted?: Array<{ app: string; migration: string }>;
  /** What was copied out before a migration that drops, truncates or rewrites data: where, how long it took, the rows per table. */
  backups?: Array<{ app: string; migration: string; path: string; durationMs: number; tables: { table: string; rows: number; file: string }[] }>;
}

/**
 * Writes the report as JSON, redacted, atomically (a temp file renamed over the target, so a
 * reader never sees half a report). Without a redactor, the shapes of secrets are still masked
 * (URL passwords, tokens); pass the run's redactor to mask the env's own secret values too.
 */
export async function writeRunReport(path: string, report: RunReport, redact: Redactor = createRedactor()): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, redact(JSON.stringify(redactDeep(report, redact), null, 2)) + '\n');
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
