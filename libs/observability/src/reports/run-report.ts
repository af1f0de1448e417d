import { appendFileSync, writeFileSync } from 'node:fs';
import type { Env } from '../env';
import { redactDeep, type Redactor } from '../redaction/redactor';

export interface RunReport {
  runId: string;
  command: string;
  env: string;
  status: 'ok' | 'failed' | 'interrupted';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  migrations: Array<{
    app: string;
    migration: string;
    direction: 'up' | 'down';
    status: 'applied' | 'reverted' | 'failed' | 'skipped';
    durationMs: number;
    retries: number;
    lockWaitMs: number;
    error?: string;
  }>;
  reverted?: Array<{ app: string; migration: string }>;
}

export async function writeRunReport(path: string, report: RunReport, redact: Redactor): Promise<void> {
  writeFileSync(path, JSON.stringify(redactDeep(report, redact), null, 2) + '\n');
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Appends the run as a Markdown table to the GitHub Actions job summary, when there is one. */
export async function appendGithubSummary(env: Env, report: RunReport, redact: Redactor = (t) => t): Promise<void> {
  if (!env.GITHUB_STEP_SUMMARY) return;
  const lines = [
    `### migrate ${report.command}: ${report.status} (${report.env}, ${(report.durationMs / 1000).toFixed(1)} s)`,
    '',
    '| app | migration | direction | status | duration | retries | lock wait |',
    '|---|---|---|---|---|---|---|',
    ...report.migrations.map((m) => `| ${m.app} | ${m.migration} | ${m.direction} | ${m.status}${m.error ? `: ${cell(m.error.split('\n')[0].slice(0, 120))}` : ''} | ${m.durationMs} ms | ${m.retries} | ${m.lockWaitMs} ms |`),
  ];
  if (!report.migrations.length) lines.push('| | nothing to do | | | | | |');
  appendFileSync(env.GITHUB_STEP_SUMMARY, redact(lines.join('\n')) + '\n\n');
}
