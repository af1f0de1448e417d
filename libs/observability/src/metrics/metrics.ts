import { Counter, Histogram, Registry } from 'prom-client';

export type MigrationOutcome = 'succeeded' | 'failed';
/** The run lock (waiting for another run) or a table lock (lock-timeout retries inside a migration). */
export type LockWaitKind = 'run_lock' | 'table_lock';

/**
 * The toolkit's metrics, on a registry of their own: never prom-client's global default, so an
 * app's own metrics and ours cannot collide, and two instances in one process (tests) stay apart.
 */
export class MigrationMetrics {
  readonly registry = new Registry();
  private readonly migrations = new Counter({ name: 'migrations_total', help: 'Migrations run, by app and outcome', labelNames: ['app', 'status'], registers: [this.registry] });
  private readonly failures = new Counter({ name: 'migrations_failed_total', help: 'Migrations that failed, by app', labelNames: ['app'], registers: [this.registry] });
  private readonly duration = new Histogram({
    name: 'migration_duration_seconds',
    help: 'How long each migration took, by app',
    labelNames: ['app'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900],
    registers: [this.registry],
  });
  // a histogram, not a gauge: a run waits several times (the run lock once, table locks per migration), and a gauge would keep only the last
  private readonly lockWait = new Histogram({
    name: 'migration_lock_wait_seconds',
    help: 'Time spent waiting for locks: kind="run_lock" for the run lock (another run), kind="table_lock" for a migration\'s lock-timeout retries',
    labelNames: ['kind'],
    buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 600],
    registers: [this.registry],
  });
  private readonly backfillRows = new Counter({ name: 'backfill_rows_total', help: 'Rows changed by backfills, by job', labelNames: ['job'], registers: [this.registry] });
  private readonly backfillBatches = new Histogram({
    name: 'backfill_batch_duration_seconds',
    help: 'How long each backfill batch took, by job',
    labelNames: ['job'],
    buckets: [0.01, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 15],
    registers: [this.registry],
  });

  /** One migration done (up or down): counted, timed, and counted again as a failure if it failed. */
  migrationFinished(app: string, status: MigrationOutcome, seconds: number): void {
    this.migrations.inc({ app, status });
    if (status === 'failed') this.failures.inc({ app });
    this.duration.observe({ app }, seconds);
  }

  lockWaited(seconds: number, kind: LockWaitKind = 'run_lock'): void {
    this.lockWait.observe({ kind }, seconds);
  }

  backfillBatch(job: string, rows: number, seconds: number): void {
    this.backfillRows.inc({ job }, Math.max(0, rows));
    this.backfillBatches.observe({ job }, seconds);
  }

  /** The Prometheus text exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

export function createMetrics(): MigrationMetrics {
  return new MigrationMetrics();
}
