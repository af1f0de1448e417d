import { renameSync, writeFileSync } from 'node:fs';
import { Counter, Histogram, Pushgateway, Registry } from 'prom-client';

/** The toolkit's metrics, on a registry of their own (never the process-global default). */
export class MigrationMetrics {
  readonly registry = new Registry();
  private readonly migrations = new Counter({ name: 'migrations_total', help: 'Migrations run, by app and outcome', labelNames: ['app', 'status'], registers: [this.registry] });
  private readonly failures = new Counter({ name: 'migrations_failed_total', help: 'Migrations that failed, by app', labelNames: ['app'], registers: [this.registry] });
  private readonly duration = new Histogram({
    name: 'migration_duration_seconds',
    help: 'How long each migration took',
    labelNames: ['app'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900],
    registers: [this.registry],
  });
  private readonly lockWait = new Histogram({
    name: 'migration_lock_wait_seconds',
    help: "Time spent waiting for the run lock (another run) or, per migration, for table locks (lock-timeout retries)",
    labelNames: ['kind'],
    buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 600],
    registers: [this.registry],
  });
  private readonly backfillRows = new Counter({ name: 'backfill_rows_total', help: 'Rows changed by backfills, by job', labelNames: ['job'], registers: [this.registry] });
  private readonly backfillBatches = new Histogram({
    name: 'backfill_batch_duration_seconds',
    help: 'How long each backfill batch took',
    labelNames: ['job'],
    buckets: [0.01, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    registers: [this.registry],
  });

  migrationFinished(app: string, status: 'succeeded' | 'failed', seconds: number): void {
    this.migrations.inc({ app, status });
    if (status === 'failed') this.failures.inc({ app });
    this.duration.observe({ app }, seconds);
  }

  lockWaited(seconds: number, kind: 'run_lock' | 'table_lock' = 'run_lock'): void {
    this.lockWait.observe({ kind }, seconds);
  }

  backfillBatch(job: string, rows: number, seconds: number): void {
    this.backfillRows.inc({ job }, rows);
    this.backfillBatches.observe({ job }, seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

export function createMetrics(): MigrationMetrics {
  return new MigrationMetrics();
}

/** Pushes to a Pushgateway (a CLI run is too short to be scraped); never throws. */
export async function pushMetrics(metrics: MigrationMetrics, url: string, job = 'zdm_migrate', timeoutMs = 5000): Promise<{ ok: boolean; error?: string }> {
  try {
    const gateway = new Pushgateway(url, { timeout: timeoutMs }, metrics.registry);
    await gateway.pushAdd({ jobName: job });
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** Writes the text exposition for node exporter's textfile collector, atomically (temp file, then rename). */
export async function writeMetricsFile(metrics: MigrationMetrics, path: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, await metrics.text());
  renameSync(temp, path);
}
