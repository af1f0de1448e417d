import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { parseDuration, type Env } from '@zdm/db';
import { ConfigError, type EngineSettings } from '@zdm/migrator';

export interface RunSettings {
  /** ENV (or NODE_ENV), `development` when unset. */
  envName: string;
  dryRun: boolean;
  engine: EngineSettings;
  host: string;
  gitSha?: string;
}

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name}=${JSON.stringify(value)} is not a whole number of at least 1`);
  return n;
}

function gitSha(env: Env, cwd: string): string | undefined {
  if (env.GIT_SHA || env.GITHUB_SHA) return (env.GIT_SHA ?? env.GITHUB_SHA)!.slice(0, 12);
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Reads every setting from the environment once, at the edge; nothing below reads process.env. */
export function readSettings(env: Env, options: { lockWait?: string; cwd: string }): RunSettings {
  return {
    envName: env.ENV ?? env.NODE_ENV ?? 'development',
    dryRun: ['1', 'true', 'yes'].includes((env.DRY_RUN ?? '').toLowerCase()),
    engine: {
      lockTimeoutMs: parseDuration(env.MIGRATION_LOCK_TIMEOUT ?? '500ms', 'MIGRATION_LOCK_TIMEOUT'),
      lockRetries: positiveInt(env.MIGRATION_LOCK_RETRIES, 'MIGRATION_LOCK_RETRIES', 10),
      statementWarnMs: parseDuration(env.MIGRATION_STATEMENT_WARN ?? '60s', 'MIGRATION_STATEMENT_WARN'),
      migrationTimeoutMs: parseDuration(env.MIGRATION_TIMEOUT ?? '5m', 'MIGRATION_TIMEOUT'),
      clientCheckIntervalMs: parseDuration(env.MIGRATION_CLIENT_CHECK_INTERVAL ?? '1s', 'MIGRATION_CLIENT_CHECK_INTERVAL'),
      lockWaitMs: parseDuration(options.lockWait ?? env.MIGRATION_LOCK_WAIT ?? '10m', options.lockWait ? '--lock-wait' : 'MIGRATION_LOCK_WAIT'),
    },
    host: env.HOSTNAME ?? hostname(),
    gitSha: gitSha(env, options.cwd),
  };
}
