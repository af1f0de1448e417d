import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type MigrationOutcome = 'succeeded' | 'failed';
/** The run lock (waiting for another run) or a table lock (lock-timeout retries inside a migration). */
export type LockWaitKind = 'run_lock' | 'table_lock';

export interface MigrationMetricsOptions {
  /**
   * A prom-client registry the app already serves (e.g. @willsoto/nestjs-prometheus's) to add our
   * series to. Default: a registry of their own, never prom-client's global one, so an app's own
   * metrics and ours cannot collide, and two instances in one process (tests) stay apart.
   */
  registry?: Registry;
}

/** Which way a migration ran: a `down` is not a success of `up`. */
export type MigrationDirection = 'up' | 'down';
export type RunPhase = 'run_lock' | 'backup' | 'up' | 'down';

/** The toolkit's metrics: migrations, lock waits, backfills. */
export class MigrationMetrics {
  readonly registry: Registry;
  private readonly migrations: Counter<'app' | 'status' | 'direction'>;
  private readonly failures: Counter<'app' | 'direction'>;
  private readonly duration: Histogram<'app' | 'direction'>;
  // a histogram, not a gauge: a run waits several times (the run lock once, table locks per migration), and a gauge would keep only the last
  private readonly lockWait: Histogram<'kind'>;
  private readonly lastSuccess: Gauge<'app'>;
  private readonly backfillRows: Counter<'job'>;
  private readonly backfillBatches: Histogram<'job'>;
  private readonly phases: Histogram<'phase'>;
  private readonly lockRetries: Counter<'app'>;
  private readonly backfillRemaining: Gauge<'job'>;
  private readonly backfillEta: Gauge<'job'>;

  constructor(options: MigrationMetricsOptions = {}) {
    // loaded with the first registry, not with the package: a command that publishes no metrics never loads prom-client
    const { Counter, Gauge, Histogram, Registry } = require('prom-client') as typeof import('prom-client');
    const registers = [(this.registry = options.registry ?? new Registry())];
    this.migrations = new Counter({ name: 'migrations_total', help: 'Migrations run, by app, outcome and direction', labelNames: ['app', 'status', 'direction'], registers });
    this.failures = new Counter({ name: 'migrations_failed_total', help: 'Migrations that failed, by app and direction', labelNames: ['app', 'direction'], registers });
    this.duration = new Histogram({
      name: 'migration_duration_seconds',
      help: 'How long each migration took, by app and direction',
      labelNames: ['app', 'direction'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900],
      registers,
    });
    this.lockWait = new Histogram({
      name: 'migration_lock_wait_seconds',
      help: 'Time spent waiting for locks: kind="run_lock" for the run lock (another run), kind="table_lock" for a migration\'s lock-timeout retries',
      labelNames: ['kind'],
      buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 600],
      registers,
    });
    this.lastSuccess = new Gauge({
      name: 'migration_last_success_timestamp_seconds',
      help: 'When an up run of the app last succeeded (nothing pending counts), in Unix seconds: alert when it is older than the deploy',
      labelNames: ['app'],
      registers,
    });
    this.backfillRows = new Counter({ name: 'backfill_rows_total', help: 'Rows changed by backfills, by job', labelNames: ['job'], registers });
    this.backfillBatches = new Histogram({
      name: 'backfill_batch_duration_seconds',
      help: 'How long each backfill batch took, by job',
      labelNames: ['job'],
      buckets: [0.01, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 15],
      registers,
    });
    this.phases = new Histogram({
      name: 'migration_phase_duration_seconds',
      help: 'Time a run spent per phase: run_lock (waiting for another run), backup (copying out data before a destructive migration), up, down',
      labelNames: ['phase'],
      buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900],
      registers,
    });
    this.lockRetries = new Counter({ name: 'migration_lock_retries_total', help: 'Lock-timeout retries of migrations (attempts beyond the first), by app', labelNames: ['app'], registers });
    this.backfillRemaining = new Gauge({ name: 'backfill_rows_remaining', help: 'Rows a backfill still has to do (an estimate), by job', labelNames: ['job'], registers });
    this.backfillEta = new Gauge({ name: 'backfill_eta_seconds', help: 'When a backfill is expected to finish, in seconds from its last progress report, by job', labelNames: ['job'], registers });
  }

  /** Time a run spent in one phase: run_lock (waiting for another run), backup, up, down. */
  phaseTook(phase: RunPhase, seconds: number): void {
    this.phases.observe({ phase }, seconds);
  }

  /** Lock-timeout retries a migration made (attempts beyond the first). */
  lockRetried(app: string, retries: number): void {
    if (retries > 0) this.lockRetries.inc({ app }, retries);
  }

  /** A backfill's rows still to do (an estimate) and its ETA; unknown ones are left out. */
  backfillProgress(job: string, rowsRemaining: number | null, etaSeconds: number | null): void {
    if (rowsRemaining !== null) this.backfillRemaining.set({ job }, rowsRemaining);
    if (etaSeconds !== null) this.backfillEta.set({ job }, etaSeconds);
  }

  /** One migration done (up or down): counted, timed, and counted again as a failure if it failed. */
  migrationFinished(app: string, status: MigrationOutcome, seconds: number, direction: MigrationDirection = 'up'): void {
    this.migrations.inc({ app, status, direction });
    if (status === 'failed') this.failures.inc({ app, direction });
    this.duration.observe({ app, direction }, seconds);
  }

  /** An up run of the app succeeded, whether or not it had anything to apply. */
  runSucceeded(app: string, at: Date = new Date()): void {
    this.lastSuccess.set({ app }, at.getTime() / 1000);
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

export function createMetrics(options: MigrationMetricsOptions = {}): MigrationMetrics {
  return new MigrationMetrics(options);
}
