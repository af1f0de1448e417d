import type { AlertEvent, AlertKind } from './alert-event';

const TITLES: Record<AlertKind, string> = {
  migration_failed: 'Migration failed',
  revert_done: 'Failed run reverted',
  revert_failed: 'Automatic revert failed',
  lock_wait_timeout: 'Gave up waiting for the run lock',
  lock_retries_exhausted: 'Lock retries ran out',
  statement_slow: 'Slow migration statement',
  backfill_failed: 'Backfill failed',
  backfill_stalled: 'Backfill stalled',
};

/** Long enough for any PostgreSQL error message, short enough that a SQL dump in one line stays readable. */
const ERROR_LINE_LIMIT = 500;

export function alertTitle(event: Pick<AlertEvent, 'kind'>): string {
  return TITLES[event.kind] ?? String(event.kind);
}

/** The first non-blank line of an error, trimmed and capped: the rest (stack, SQL) belongs in the logs. */
export function firstErrorLine(error: string): string {
  const line = error.split(/\r?\n/).find((l) => l.trim()) ?? '';
  const trimmed = line.trim();
  return trimmed.length > ERROR_LINE_LIMIT ? `${trimmed.slice(0, ERROR_LINE_LIMIT - 1)}…` : trimmed;
}

export function formatDuration(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * The alert as plain text, one fact a line: what happened and where; app, migration or job; the
 * error's first line; duration, host, git sha, run id; the CI run's link.
 */
export function formatAlertText(event: AlertEvent): string {
  const lines = [`${alertTitle(event)} [${event.env}]: ${event.summary}`];
  const subject = [event.target && `target ${event.target}`, event.app && `app ${event.app}`, event.migration && `migration ${event.migration}`, event.job && `job ${event.job}`].filter(Boolean).join(', ');
  if (subject) lines.push(subject);
  if (event.error) lines.push(`error: ${firstErrorLine(event.error)}`);
  const facts = [
    event.durationMs !== undefined && `after ${formatDuration(event.durationMs)}`,
    `host ${event.host}`,
    event.gitSha && `git ${event.gitSha}`,
    event.runId && `run ${event.runId}`,
  ].filter(Boolean);
  lines.push(facts.join(', '));
  if (event.ciRunUrl) lines.push(event.ciRunUrl);
  return lines.join('\n');
}
