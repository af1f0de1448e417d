import { runBackfillCommand, type BackfillJob } from '@zdm/backfill';
import { parseDuration } from '@zdm/db';
import { ConfigError } from '@zdm/migrator';
import { requireConfigModule } from '@zdm/migrator/module-loader';
import type { CommandContext } from '../context';
import { RunObserver } from '../run-observer';
import { onStopSignals } from '../signals';

export interface BackfillOptions {
  status?: boolean;
  batchSize?: string;
  batchTime?: string;
  workers?: string;
  maxRowsPerSecond?: string;
  lockWait?: string;
}

function isJob(value: unknown): value is BackfillJob {
  const job = value as BackfillJob | undefined;
  return typeof job?.name === 'string' && typeof job.table === 'string' && typeof job.set === 'string';
}

function count(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${flag} ${value}: expected a positive number`);
  return n;
}

/** Runs a registered backfill job (or lists their progress with --status). */
export async function backfillCommand(ctx: CommandContext, jobName: string | undefined, options: BackfillOptions): Promise<number> {
  const registered = ctx.apps().flatMap((app) =>
    app.backfillFiles.flatMap((file) => [...new Set(Object.values(requireConfigModule(file)).filter(isJob))].map((job) => ({ app, job }))),
  );
  if (!options.status && !jobName) {
    throw new ConfigError(`backfill needs a job name (or --status); registered jobs: ${registered.map((r) => r.job.name).join(', ') || 'none'}`);
  }
  const owner = jobName ? registered.find((r) => r.job.name === jobName) : undefined;
  const app = owner?.app ?? ctx.apps()[0];
  const [{ target }] = await ctx.connect([app]);
  // --status reads every selected app's database (apps that share one are read once)
  let statusSources: { url: string; apps: string[]; jobs: { name: string; app: string }[] }[] | undefined;
  if (options.status) {
    statusSources = [];
    for (const { app: a, target: t } of await ctx.connect(ctx.apps())) {
      const jobs = registered.filter((r) => r.app.name === a.name).map((r) => ({ name: r.job.name, app: a.name }));
      const same = statusSources.find((s) => s.url === t.url);
      if (same) {
        same.apps.push(a.name);
        same.jobs.push(...jobs);
      } else statusSources.push({ url: t.url, apps: [a.name], jobs });
    }
  }
  const settings = ctx.settings();
  const observer = new RunObserver(ctx, settings, { command: 'backfill' });
  const abort = new AbortController();
  let signal: 'SIGINT' | 'SIGTERM' | undefined;
  const stop = onStopSignals((received) => {
    signal = received;
    abort.abort();
  });
  let failed = false;
  try {
    const code = await runBackfillCommand({
      url: target.url,
      jobs: registered.filter((r) => r.app.name === app.name || !owner).map((r) => r.job),
      job: jobName,
      status: options.status,
      statusSources,
      redact: ctx.out.redact,
      batchSize: count(options.batchSize, '--batch-size'),
      targetBatchMs: options.batchTime === undefined ? undefined : parseDuration(options.batchTime, '--batch-time'),
      workers: count(options.workers, '--workers'),
      maxRowsPerSecond: count(options.maxRowsPerSecond, '--max-rows-per-second'),
      ownerWaitMs: parseDuration(options.lockWait ?? '10m', '--lock-wait'),
      json: ctx.out.json,
      stdout: ctx.streams.stdout,
      stderr: ctx.streams.stderr,
      isTTY: ctx.streams.isTTY,
      signal: abort.signal,
      onRows: (job, rows, seconds) => observer.backfillBatch(job, rows, seconds),
      onProgress: (p) => observer.backfillProgress(p.job, p.estimatedTotal === null ? null : Math.max(p.estimatedTotal - p.rowsDone, 0), p.etaSeconds),
    });
    // stopped by a signal: the progress is saved, and the exit code says which signal
    return signal === 'SIGTERM' ? 143 : code;
  } catch (error) {
    failed = true;
    if ((error as { exitCode?: number }).exitCode === 1) observer.backfillFailed(jobName ?? '', error);
    throw error;
  } finally {
    stop();
    await observer.finish({ runId: ctx.runId, status: failed ? 'failed' : 'ok', durationMs: 0, migrations: [], reverted: [] });
  }
}
