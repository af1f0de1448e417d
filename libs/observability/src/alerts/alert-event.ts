import type { Env } from '../env';

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
  /** The deployment environment (ENV): production, staging... */
  env: string;
  /** The fleet target (tenant) the run was for. */
  target?: string;
  app?: string;
  migration?: string;
  /** A backfill job, for backfill alerts. */
  job?: string;
  /** What happened, in one line. */
  summary: string;
  /** The error; only its first line goes out (stack traces stay in the logs). */
  error?: string;
  durationMs?: number;
  host: string;
  gitSha?: string;
  ciRunUrl?: string;
  runId?: string;
}

/** What became of one channel's alert. */
export interface AlertDelivery {
  channel: string;
  ok: boolean;
  /** The last HTTP status, when there was an answer. */
  status?: number;
  /** Why it failed, redacted, without the channel's URL or token. */
  error?: string;
  attempts: number;
  ms: number;
}

/** The CI run's page on GitHub Actions, when this runs there. */
export function ciRunUrl(env: Env): string | undefined {
  if (!env.GITHUB_RUN_ID || !env.GITHUB_REPOSITORY) return undefined;
  return `${(env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '')}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
}
