import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { createRequire } from 'node:module';
import type { BackfillJob } from '../backfill-job';
import { runBackfill, type BackfillResult } from '../backfill.runner';
import { BACKFILL_OPTIONS, DEFAULT_BACKFILL_SCHEDULE, DEFAULT_TICK_BUDGET_MS, STALLED_AFTER_TICKS } from './backfill.constants';
import type { BackfillModuleOptions } from './backfill-module-options';

/** The cron that @nestjs/schedule itself runs (its registry holds our jobs): the app's own, no second copy. */
function cronJob(): typeof import('cron').CronJob {
  return (createRequire(require.resolve('@nestjs/schedule'))('cron') as typeof import('cron')).CronJob;
}

/**
 * Runs each registered job on its cron schedule. A tick that fails is logged, counted and
 * alerted (the scheduler would swallow it); ticks of one job never overlap.
 */
@Injectable()
export class BackfillService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Backfill');
  private readonly running = new Map<string, Promise<BackfillResult | undefined>>();
  private readonly stop = new AbortController();
  readonly failures = new Map<string, number>();
  /** Ticks in a row that ended with rows left but none moved (held by other transactions, or paused). */
  private readonly stalled = new Map<string, number>();

  constructor(
    @Inject(BACKFILL_OPTIONS) private readonly options: BackfillModuleOptions,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const CronJob = cronJob();
    for (const job of this.options.jobs) {
      const cron = CronJob.from({ cronTime: job.schedule ?? DEFAULT_BACKFILL_SCHEDULE, onTick: () => void this.tick(job), start: true });
      this.scheduler.addCronJob(`backfill:${job.name}`, cron as never);
    }
  }

  /** One tick of a job: runs until the job is done or the tick's budget is spent. */
  tick(job: BackfillJob): Promise<BackfillResult | undefined> {
    const current = this.running.get(job.name);
    if (current) return current;
    const budget = AbortSignal.timeout(this.options.tickBudgetMs ?? DEFAULT_TICK_BUDGET_MS);
    const signal = AbortSignal.any([budget, this.stop.signal]);
    const run = runBackfill({ url: this.options.url, job, signal, maxRowsPerSecond: this.options.maxRowsPerSecond, redact: this.options.redact, onBatch: (rows, s) => this.options.onBatch?.(job.name, rows, s) })
      .then(async (result) => {
        this.failures.delete(job.name);
        if (result.rows) this.logger.log(`${job.name}: ${result.rows} rows (${result.rowsPerSecond} rows/s), ${result.status}`);
        const idle = result.status === 'stopped' && result.rows === 0 ? (this.stalled.get(job.name) ?? 0) + 1 : 0;
        this.stalled.set(job.name, idle);
        if (idle === STALLED_AFTER_TICKS) {
          this.logger.warn(`${job.name}: no progress in ${idle} ticks while rows remain`);
          await this.options.alert?.({ kind: 'backfill_stalled', job: job.name, summary: `backfill ${job.name} made no progress in ${idle} ticks while rows remain` });
        }
        return result;
      })
      .catch(async (error: unknown) => {
        const count = (this.failures.get(job.name) ?? 0) + 1;
        this.failures.set(job.name, count);
        const message = (this.options.redact ?? String)((error as Error).message ?? String(error));
        this.logger.error(`${job.name}: tick failed (${count} in a row): ${message}`);
        try {
          await this.options.alert?.({ kind: 'backfill_failed', job: job.name, summary: `backfill ${job.name} failed (${count} tick(s) in a row)`, error: message });
        } catch (alertError) {
          this.logger.error(`${job.name}: the alert failed too: ${(alertError as Error).message}`);
        }
        return undefined;
      })
      .finally(() => this.running.delete(job.name));
    this.running.set(job.name, run);
    return run;
  }

  async onModuleDestroy(): Promise<void> {
    this.stop.abort();
    for (const job of this.options.jobs) {
      const name = `backfill:${job.name}`;
      if (this.scheduler.doesExist('cron', name)) this.scheduler.deleteCronJob(name);
    }
    await Promise.allSettled(this.running.values());
  }
}
