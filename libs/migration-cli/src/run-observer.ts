import { LockWaitTimeoutError, type EngineEvent, type RunSummary } from '@zdm/migrator';
import {
  appendGithubSummary,
  ciRunUrl,
  createAlerter,
  createMetrics,
  pushMetrics,
  writeMetricsFile,
  writeRunReport,
  type AlertEvent,
  type Alerter,
  type MigrationMetrics,
  type RunReport,
} from '@zdm/observability';
import type { CommandContext } from './context';
import type { RunSettings } from './settings';

export interface ObserverOptions {
  command: string;
  reportFile?: string;
  metricsFile?: string;
}

/**
 * Turns engine events into alerts, metrics and the run report. Alerts go out as events happen;
 * `finish` waits for them, so none is lost when the process exits, and none changes the exit code.
 */
export class RunObserver {
  private readonly alerter: Alerter;
  /** None when nothing would publish them: a run with no PUSHGATEWAY_URL and no --metrics-file loads no prom-client. */
  private readonly metrics?: MigrationMetrics;
  private readonly pending: Promise<unknown>[] = [];
  private readonly rows: RunReport['migrations'] = [];
  private readonly backups: NonNullable<RunReport['backups']> = [];
  private readonly slowAlerted = new Set<string>();
  private readonly startedAt = new Date();

  constructor(
    private readonly ctx: CommandContext,
    private readonly settings: RunSettings,
    private readonly options: ObserverOptions,
  ) {
    this.alerter = createAlerter(ctx.env, { redactor: ctx.out.redact, log: (line) => ctx.out.warn(line) });
    // a fleet's targets count into one registry, published once for the fleet, unless each target
    // is asked to carry its own `target` label (--metrics-target-label)
    this.metrics = ctx.fleetMetrics ?? (publishesMetrics(ctx, options.metricsFile) ? createMetrics() : undefined);
    if (ctx.target !== undefined && !ctx.fleetMetrics) this.metrics?.registry.setDefaultLabels({ target: ctx.target });
  }

  private alert(event: Omit<AlertEvent, 'env' | 'host' | 'gitSha' | 'ciRunUrl' | 'runId'>): void {
    if (!this.alerter.channels.length) return;
    this.pending.push(
      this.alerter.send({ ...event, target: this.ctx.target, env: this.settings.envName, host: this.settings.host, gitSha: this.settings.gitSha(), ciRunUrl: ciRunUrl(this.ctx.env), runId: this.ctx.runId }),
    );
  }

  readonly onEvent = (event: EngineEvent): void => {
    switch (event.type) {
      case 'lock.acquired':
        this.metrics?.lockWaited(event.waitedMs / 1000);
        this.metrics?.phaseTook('run_lock', event.waitedMs / 1000);
        break;
      case 'backup.finished':
        this.metrics?.phaseTook('backup', event.durationMs / 1000);
        this.backups.push({ app: event.app, migration: event.migration, path: event.path, durationMs: event.durationMs, tables: event.tables });
        break;
      case 'migration.finished':
        this.metrics?.migrationFinished(event.app, 'succeeded', event.durationMs / 1000, event.direction);
        this.metrics?.phaseTook(event.direction, event.durationMs / 1000);
        this.metrics?.lockRetried(event.app, event.retries);
        if (event.lockWaitMs) this.metrics?.lockWaited(event.lockWaitMs / 1000, 'table_lock');
        this.rows.push({ app: event.app, migration: event.migration, direction: event.direction, status: event.direction === 'up' ? 'applied' : 'reverted', durationMs: event.durationMs, retries: event.retries, lockWaitMs: event.lockWaitMs });
        break;
      case 'migration.failed': {
        this.metrics?.migrationFinished(event.app, 'failed', event.durationMs / 1000, event.direction);
        this.metrics?.phaseTook(event.direction, event.durationMs / 1000);
        this.metrics?.lockRetried(event.app, event.retries);
        this.rows.push({ app: event.app, migration: event.migration, direction: event.direction, status: 'failed', durationMs: event.durationMs, retries: event.retries, lockWaitMs: event.lockWaitMs, error: event.error });
        const lockTimeout = event.code === '55P03' || event.code === '40P01';
        this.alert({
          kind: lockTimeout ? 'lock_retries_exhausted' : 'migration_failed',
          app: event.app,
          migration: event.migration,
          summary: `${event.migration} (${event.app}) ${event.direction} failed${lockTimeout ? ': lock retries ran out' : ''}`,
          error: event.error,
          durationMs: event.durationMs,
        });
        break;
      }
      case 'statement.slow': {
        const key = `${event.app}/${event.migration}`;
        if (this.slowAlerted.has(key)) break;
        this.slowAlerted.add(key);
        this.alert({
          kind: 'statement_slow',
          app: event.app,
          migration: event.migration,
          summary: `${event.migration} (${event.app}): a statement has run ${Math.round(event.elapsedMs / 1000)} s` + (event.blockers.length ? `, blocked by pid ${event.blockers.map((b) => b.pid).join(', ')}` : ''),
          durationMs: event.elapsedMs,
        });
        break;
      }
      case 'revert.finished':
        this.alert({
          kind: event.ok ? 'revert_done' : 'revert_failed',
          app: event.reverted[0]?.app,
          migration: event.reverted.map((m) => m.migration).join(', ') || undefined,
          summary: event.ok ? `the failed run was reverted: ${event.reverted.map((m) => `${m.app}/${m.migration}`).join(', ')}` : `the automatic revert failed`,
          error: event.error,
        });
        break;
      default:
        break;
    }
  };

  /** A backfill's batch: counted in backfill_rows_total and backfill_batch_duration_seconds. */
  backfillBatch(job: string, rows: number, seconds: number): void {
    this.metrics?.backfillBatch(job, rows, seconds);
  }

  /** A backfill's progress: rows still to do (an estimate) and the ETA, as gauges. */
  backfillProgress(job: string, rowsRemaining: number | null, etaSeconds: number | null): void {
    this.metrics?.backfillProgress(job, rowsRemaining, etaSeconds);
  }

  /** A backfill that failed after its batch retries. */
  backfillFailed(job: string, error: unknown): void {
    this.alert({ kind: 'backfill_failed', job, summary: `backfill ${job} failed`, error: (error as Error)?.message ?? String(error) });
  }

  async finish(summary: RunSummary): Promise<void> {
    if (summary.error instanceof LockWaitTimeoutError) this.alert({ kind: 'lock_wait_timeout', summary: 'a migration run gave up waiting for the run lock', error: summary.error.message });
    const report: RunReport = {
      runId: this.ctx.runId,
      ...(this.ctx.target === undefined ? {} : { target: this.ctx.target }),
      command: this.options.command,
      env: this.settings.envName,
      status: summary.status,
      startedAt: this.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: summary.durationMs,
      migrations: this.rows,
      reverted: summary.reverted.map(({ app, migration }) => ({ app, migration })),
      ...(this.backups.length ? { backups: this.backups } : {}),
    };
    // over a shared fleet registry, the fleet says when every target succeeded
    if (this.options.command === 'up' && summary.status === 'ok' && !this.ctx.fleetMetrics) for (const app of this.ctx.apps()) this.metrics?.runSucceeded(app.name);
    const work: Promise<unknown>[] = [...this.pending];
    if (this.options.reportFile) work.push(writeRunReport(perTarget(this.options.reportFile, this.ctx.target), report, this.ctx.out.redact));
    work.push(appendGithubSummary(this.ctx.env, report, this.ctx.out.redact));
    // a fleet's shared registry is published once, by the fleet
    if (this.metrics && !this.ctx.fleetMetrics) work.push(publishMetrics(this.ctx, this.settings, this.metrics, this.options.metricsFile && perTarget(this.options.metricsFile, this.ctx.target)));
    const results = await Promise.allSettled(work);
    for (const r of results) if (r.status === 'rejected') this.ctx.out.warn(`${(r.reason as Error)?.message ?? r.reason}`);
  }
}

/** A fleet target's own file beside the one asked for: `report.json` → `report.<target>.json`. */
export function perTarget(file: string, target: string | undefined): string {
  if (target === undefined) return file;
  const dot = file.lastIndexOf('.');
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  const safe = target.replace(/[^A-Za-z0-9_.-]/g, '_');
  return dot > slash + 1 ? `${file.slice(0, dot)}.${safe}${file.slice(dot)}` : `${file}.${safe}`;
}

/** Whether a run's metrics go anywhere: a Pushgateway (PUSHGATEWAY_URL) or a file (--metrics-file). */
export function publishesMetrics(ctx: CommandContext, metricsFile?: string): boolean {
  return Boolean(ctx.env.PUSHGATEWAY_URL || metricsFile);
}

/** Pushes to PUSHGATEWAY_URL (grouped by env, apps and, for a labelled fleet target, the target) and writes the metrics file. */
export async function publishMetrics(ctx: CommandContext, settings: RunSettings, metrics: MigrationMetrics, metricsFile?: string): Promise<void> {
  const work: Promise<unknown>[] = [];
  if (ctx.env.PUSHGATEWAY_URL) {
    work.push(
      pushMetrics(metrics, ctx.env.PUSHGATEWAY_URL, undefined, undefined, { env: settings.envName, apps: ctx.apps().map((a) => a.name), target: ctx.fleetMetrics ? undefined : ctx.target }).then((r) => {
        if (!r.ok) ctx.out.warn(`the metrics push to PUSHGATEWAY_URL failed: ${r.error}`);
      }),
    );
  }
  if (metricsFile) work.push(writeMetricsFile(metrics, metricsFile));
  const results = await Promise.allSettled(work);
  for (const r of results) if (r.status === 'rejected') ctx.out.warn(`${(r.reason as Error)?.message ?? r.reason}`);
}
