import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { envValue, parseDuration, type Env } from '@zdm/db';
import { ConfigError, type EngineSettings } from '@zdm/migrator';

export interface RunSettings {
  /** ENV (or NODE_ENV), `development` when unset. */
  envName: string;
  dryRun: boolean;
  engine: EngineSettings;
  host: string;
  /** The commit the run is from, looked up once and only when a run records or alerts it (a `git` start costs time a readiness probe has not got). */
  gitSha: () => string | undefined;
}

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name}=${JSON.stringify(value)} is not a whole number of at least 1`);
  return n;
}

function gitSha(env: Env, cwd: string): () => string | undefined {
  let known: { sha?: string } | undefined;
  return () => {
    if (known) return known.sha;
    if (env.GIT_SHA || env.GITHUB_SHA) known = { sha: (env.GIT_SHA ?? env.GITHUB_SHA)!.slice(0, 12) };
    else {
      try {
        known = { sha: execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim() || undefined };
      } catch {
        known = {};
      }
    }
    return known.sha;
  };
}

/** The settings that do not depend on a command's flags. */
export type BaseSettings = Omit<RunSettings, 'engine'> & { engine: Omit<EngineSettings, 'lockWaitMs'>; lockWait?: string };

/** Reads every setting from the environment once, at the edge; nothing below reads process.env. An empty variable is refused by name. */
export function readBaseSettings(env: Env, options: { cwd: string }): BaseSettings {
  const v = (name: string) => envValue(env, name);
  const dryRun = v('DRY_RUN');
  return {
    envName: v('ENV') ?? env.NODE_ENV ?? 'development',
    dryRun: ['1', 'true', 'yes'].includes((dryRun ?? '').toLowerCase()),
    engine: {
      lockTimeoutMs: parseDuration(v('MIGRATION_LOCK_TIMEOUT') ?? '500ms', 'MIGRATION_LOCK_TIMEOUT'),
      lockRetries: positiveInt(v('MIGRATION_LOCK_RETRIES'), 'MIGRATION_LOCK_RETRIES', 10),
      statementWarnMs: parseDuration(v('MIGRATION_STATEMENT_WARN') ?? '60s', 'MIGRATION_STATEMENT_WARN'),
      migrationTimeoutMs: parseDuration(v('MIGRATION_TIMEOUT') ?? '5m', 'MIGRATION_TIMEOUT'),
      clientCheckIntervalMs: parseDuration(v('MIGRATION_CLIENT_CHECK_INTERVAL') ?? '1s', 'MIGRATION_CLIENT_CHECK_INTERVAL'),
    },
    lockWait: v('MIGRATION_LOCK_WAIT'),
    host: env.HOSTNAME ?? hostname(),
    gitSha: gitSha(env, options.cwd),
  };
}

/** The run's settings: the base ones plus the command's --lock-wait (which wins over MIGRATION_LOCK_WAIT). */
export function withLockWait(base: BaseSettings, lockWait?: string): RunSettings {
  const { lockWait: envLockWait, engine, ...rest } = base;
  return {
    ...rest,
    engine: { ...engine, lockWaitMs: parseDuration(lockWait ?? envLockWait ?? '10m', lockWait ? '--lock-wait' : 'MIGRATION_LOCK_WAIT') },
  };
}
