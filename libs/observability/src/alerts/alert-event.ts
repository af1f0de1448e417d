export type AlertKind =
  | 'migration_failed'
  | 'revert_done'
  | 'revert_failed'
  | 'lock_wait_timeout'
  | 'lock_retries_exhausted'
  | 'statement_slow'
  | 'backfill_failed'
  | 'backfill_stalled';

export interface AlertEvent {
  kind: AlertKind;
  env: string;
  app?: string;
  migration?: string;
  job?: string;
  /** What happened, in one line. */
  summary: string;
  /** The error; only its first line goes into the message. */
  error?: string;
  durationMs?: number;
  host: string;
  gitSha?: string;
  ciRunUrl?: string;
  runId?: string;
}

export interface AlertDelivery {
  channel: string;
  ok: boolean;
  status?: number;
  error?: string;
  attempts: number;
  ms: number;
}

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

/** The alert as text: env, app, migration or job, what happened, the error's first line, duration, host, git sha, CI link. */
export function formatAlertText(event: AlertEvent): string {
  const lines = [`${TITLES[event.kind]} [${event.env}]: ${event.summary}`];
  const subject = [event.app && `app ${event.app}`, event.migration && `migration ${event.migration}`, event.job && `job ${event.job}`].filter(Boolean).join(', ');
  if (subject) lines.push(subject);
  if (event.error) lines.push(`error: ${event.error.split('\n')[0].slice(0, 500)}`);
  const facts = [event.durationMs !== undefined && `after ${(event.durationMs / 1000).toFixed(1)} s`, `host ${event.host}`, event.gitSha && `git ${event.gitSha}`, event.runId && `run ${event.runId}`].filter(Boolean);
  lines.push(facts.join(', '));
  if (event.ciRunUrl) lines.push(event.ciRunUrl);
  return lines.join('\n');
}

/** The CI run's page on GitHub Actions, when this runs there. */
export function ciRunUrl(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (!env.GITHUB_RUN_ID || !env.GITHUB_REPOSITORY) return undefined;
  return `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
}
