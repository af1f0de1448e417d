import { ciRunUrl } from './alert-event';
import { firstErrorLine, formatAlertText, formatDuration } from './alert-text';

describe('formatAlertText', () => {
  it('names a backfill job, and leaves out what the event does not have', () => {
    expect(formatAlertText({ kind: 'backfill_stalled', env: 'staging', job: 'chargebacks-reported-at', summary: 'no rows moved in 3 ticks', host: 'payments-1' })).toBe(
      'Backfill stalled [staging]: no rows moved in 3 ticks\njob chargebacks-reported-at\nhost payments-1',
    );
  });

  it.each([
    ['the first line only', 'boom\n    at x (y.js:1:1)', 'boom'],
    ['the first line with text, trimmed', '\n\n  canceling statement due to lock timeout  \nmore', 'canceling statement due to lock timeout'],
    ['a long line, capped', 'x'.repeat(600), `${'x'.repeat(499)}…`],
  ])('takes %s of an error', (_what, error, line) => {
    expect(firstErrorLine(error)).toBe(line);
  });

  it.each([
    [1234, '1.2 s'],
    [59_940, '59.9 s'],
    [252_000, '4 min 12 s'],
    [7_380_000, '2 h 3 min'],
  ])('says %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('ciRunUrl', () => {
  it('links the GitHub Actions run when GITHUB_RUN_ID and GITHUB_REPOSITORY are set', () => {
    expect(ciRunUrl({ GITHUB_SERVER_URL: 'https://github.example/', GITHUB_REPOSITORY: 'acme/platform', GITHUB_RUN_ID: '42' })).toBe('https://github.example/acme/platform/actions/runs/42');
    expect(ciRunUrl({ GITHUB_REPOSITORY: 'acme/platform', GITHUB_RUN_ID: '42' })).toBe('https://github.com/acme/platform/actions/runs/42');
  });

  it('is undefined outside GitHub Actions', () => {
    expect(ciRunUrl({ GITHUB_REPOSITORY: 'acme/platform' })).toBeUndefined();
    expect(ciRunUrl({})).toBeUndefined();
  });
});
