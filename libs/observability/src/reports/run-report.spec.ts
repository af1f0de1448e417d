import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedactor } from '../redaction/redactor';
import { appendGithubSummary } from './github-summary';
import { writeRunReport, type RunReport } from './run-report';

const report: RunReport = {
  runId: 'run-1',
  command: 'up',
  env: 'staging',
  status: 'failed',
  startedAt: '2026-11-25T10:00:00.000Z',
  finishedAt: '2026-11-25T10:00:03.500Z',
  durationMs: 3500,
  migrations: [
    { app: 'payments', migration: '202401150900__create_chargebacks', direction: 'up', status: 'applied', durationMs: 42, retries: 0, lockWaitMs: 0 },
    { app: 'payments', migration: '202401151000__chargebacks_add_utr_reported_at', direction: 'up', status: 'applied', durationMs: 1800, retries: 2, lockWaitMs: 1200 },
    {
      app: 'ledger',
      migration: '202401151100__ledger_entries_fail_on_purpose',
      direction: 'up',
      status: 'failed',
      durationMs: 15,
      retries: 0,
      lockWaitMs: 0,
      error: 'relation "a|b" does not exist at postgres://app:pw-s3cret-123@db/ledger\n    at stack',
    },
  ],
  reverted: [
    { app: 'payments', migration: '202401151000__chargebacks_add_utr_reported_at' },
    { app: 'payments', migration: '202401150900__create_chargebacks' },
  ],
};

const dir = () => mkdtempSync(join(tmpdir(), 'zdm-report-'));

describe('writeRunReport', () => {
  it('writes the report as JSON, redacted, creating its folder', async () => {
    const file = join(dir(), 'reports', 'run.json');
    await writeRunReport(file, report);
    const written = JSON.parse(readFileSync(file, 'utf8'));
    expect(written).toEqual({ ...report, migrations: [report.migrations[0], report.migrations[1], { ...report.migrations[2], error: report.migrations[2].error!.replace('pw-s3cret-123', '***') }] });
  });

  it('masks the env’s own secret values with the run’s redactor', async () => {
    const file = join(dir(), 'run.json');
    await writeRunReport(file, { ...report, command: 'up sk-live-998877' }, createRedactor({ STRIPE_SECRET: 'sk-live-998877' }));
    expect(readFileSync(file, 'utf8')).not.toContain('sk-live-998877');
  });
});

describe('appendGithubSummary', () => {
  it('appends a Markdown table of the run to GITHUB_STEP_SUMMARY, after what is there', async () => {
    const file = join(dir(), 'summary.md');
    writeFileSync(file, '## earlier step\n\n');
    await appendGithubSummary({ GITHUB_STEP_SUMMARY: file }, report);
    await appendGithubSummary({ GITHUB_STEP_SUMMARY: file }, { ...report, command: 'status', status: 'ok', migrations: [], reverted: [] });
    expect(readFileSync(file, 'utf8')).toBe(
      [
        '## earlier step',
        '',
        '### migrate up: failed (staging, 3.5 s)',
        '',
        '| app | migration | direction | status | duration | retries | lock wait |',
        '|---|---|---|---|---|---|---|',
        '| payments | 202401150900__create_chargebacks | up | applied | 42 ms | 0 | 0 ms |',
        '| payments | 202401151000__chargebacks_add_utr_reported_at | up | applied | 1800 ms | 2 | 1200 ms |',
        '| ledger | 202401151100__ledger_entries_fail_on_purpose | up | failed: relation "a\\|b" does not exist at postgres://app:***@db/ledger | 15 ms | 0 | 0 ms |',
        '',
        'Reverted after the failure: payments/202401151000__chargebacks_add_utr_reported_at, payments/202401150900__create_chargebacks',
        '',
        '### migrate status: ok (staging, 3.5 s)',
        '',
        '| app | migration | direction | status | duration | retries | lock wait |',
        '|---|---|---|---|---|---|---|',
        '| | nothing to do | | | | | |',
        '',
        '',
      ].join('\n'),
    );
  });

  it('redacts an error before it cuts it at 200 characters: a password across the cut does not leak a part', async () => {
    const file = join(dir(), 'summary.md');
    const error = `${'x'.repeat(175)} postgres://app:S3cr3t-Pa55word-Zq@db.internal:5432/app`;
    await appendGithubSummary({ GITHUB_STEP_SUMMARY: file }, { ...report, migrations: [{ ...report.migrations[2], error }] });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/S3cr3t/);
    expect(text).toMatch(/postgres:\/\/app:\*\*\*@/);
  });

  it('does nothing outside GitHub Actions', async () => {
    await expect(appendGithubSummary({ GITHUB_STEP_SUMMARY: '' }, report)).resolves.toBeUndefined();
  });
});
