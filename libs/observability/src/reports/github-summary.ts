import { appendFile } from 'node:fs/promises';
import { firstErrorLine, formatDuration } from '../alerts/alert-text';
import type { Env } from '../env';
import { createRedactor, type Redactor } from '../redaction/redactor';
import type { RunReport } from './run-report';

/** A table cell: a pipe would end the cell, a newline the table. */
const cell = (text: string) => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

const ms = (value: number) => (value < 10_000 ? `${Math.round(value)} ms` : formatDuration(value));

/** The run as Markdown: a heading with the outcome, a table of migrations, what was reverted. Each error is redacted before it is cut. */
export function formatGithubSummary(report: RunReport, redact: (text: string) => string = (text) => text): string {
  const lines = [
    `### migrate ${cell(report.command)}: ${report.status} (${cell(report.env)}, ${formatDuration(report.durationMs)})`,
    '',
    '| app | migration | direction | status | duration | retries | lock wait |',
    '|---|---|---|---|---|---|---|',
    ...report.migrations.map(
      (m) =>
        `| ${cell(m.app)} | ${cell(m.migration)} | ${m.direction} | ${m.status}${m.error ? `: ${cell(firstErrorLine(redact(m.error)).slice(0, 200))}` : ''} | ${ms(m.durationMs)} | ${m.retries} | ${ms(m.lockWaitMs)} |`,
    ),
  ];
  if (!report.migrations.length) lines.push('| | nothing to do | | | | | |');
  if (report.reverted?.length) lines.push('', `Reverted after the failure: ${report.reverted.map((r) => `${cell(r.app)}/${cell(r.migration)}`).join(', ')}`);
  return lines.join('\n');
}

/**
 * Appends the run to the GitHub Actions job summary, when GITHUB_STEP_SUMMARY names one (appends:
 * several commands in one job each add their table). Redacted like everything else.
 */
export async function appendGithubSummary(env: Env, report: RunReport, redact: Redactor = createRedactor(env)): Promise<void> {
  if (!env.GITHUB_STEP_SUMMARY) return;
  await appendFile(env.GITHUB_STEP_SUMMARY, redact(formatGithubSummary(report, redact)) + '\n\n');
}
