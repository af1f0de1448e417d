import type { SingleBar } from 'cli-progress';
import type { BackfillJob } from './backfill-job';
import { backfillStatus, runBackfill, type BackfillProgress } from './backfill.runner';
import { UnknownBackfillJobError } from './errors/unknown-backfill-job.error';

export interface BackfillCommandOptions {
  url: string;
  jobs: BackfillJob[];
  job?: string;
  status?: boolean;
  batchSize?: number;
  targetBatchMs?: number;
  workers?: number;
  maxRowsPerSecond?: number;
  /** How long to wait for another owner of the job before exit 3 (default 10 minutes). */
  ownerWaitMs?: number;
  json?: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  isTTY: boolean;
  signal?: AbortSignal;
  onBatchError?: (job: string, error: unknown, attempt: number) => void;
  onRows?: (job: string, rows: number, seconds: number) => void;
  /** Each progress report (rows done, estimate, rate, ETA): for the metrics. */
  onProgress?: (progress: BackfillProgress) => void;
  /** Applied to what is stored (migration_progress.last_error). */
  redact?: (text: string) => string;
  /**
   * For --status: the databases to read, each with the apps that use it and their jobs (default:
   * `url`, no app named). Each progress row says which app its job belongs to.
   */
  statusSources?: BackfillStatusSource[];
}

export interface BackfillStatusSource {
  url: string;
  apps: string[];
  jobs: { name: string; app: string }[];
}

const eta = (p: BackfillProgress) => (p.etaSeconds === null ? '?' : p.etaSeconds < 120 ? `${p.etaSeconds} s` : `${Math.round(p.etaSeconds / 60)} min`);

/** `migrate backfill <job>` and `migrate backfill --status`; resolves to the exit code. */
export async function runBackfillCommand(options: BackfillCommandOptions): Promise<number> {
  const { stdout, stderr } = options;
  if (options.status) {
    const sources = options.statusSources ?? [{ url: options.url, apps: [], jobs: options.jobs.map((j) => ({ name: j.name, app: '' })) }];
    const rows: (Awaited<ReturnType<typeof backfillStatus>>[number] & { app: string | null })[] = [];
    for (const source of sources) {
      for (const row of await backfillStatus(source.url)) {
        // a job registered by one of the apps on this database is theirs; an unregistered one is the database's
        const app = source.jobs.find((j) => j.name === row.job)?.app || (source.apps.length ? source.apps.join(', ') : null);
        rows.push({ ...row, app });
      }
    }
    const registered = options.jobs.map((j) => j.name);
    if (options.json) {
      stdout.write(JSON.stringify({ registered, progress: rows }) + '\n');
      return 0;
    }
    stdout.write(`registered jobs: ${registered.join(', ') || 'none'}\n`);
    if (!rows.length) stdout.write('no backfill has run yet\n');
    if (rows.length) {
      const table = [
        ['APP', 'JOB', 'RANGE', 'KEYS', 'STATUS', 'ROWS', 'AT KEY', 'UPDATED', 'OWNER', 'LAST ERROR'],
        ...rows.map((r) => [
          r.app ?? '',
          r.job,
          String(r.rangeId),
          `${r.rangeStart}..${r.rangeEnd}`,
          r.status,
          `${r.rowsDone}${r.estimatedTotal ? ` of ~${r.estimatedTotal}` : ''}`,
          r.lastKey,
          r.updatedAt.replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC'),
          r.owner ?? '',
          r.lastError ?? '',
        ]),
      ];
      for (const line of alignColumns(table, [2, 5, 6])) stdout.write(line + '\n');
    }
    return 0;
  }
  const job = options.jobs.find((j) => j.name === options.job);
  if (!job) throw new UnknownBackfillJobError(options.job ?? '', options.jobs.map((j) => j.name));

  let bar: SingleBar | undefined;
  let lastLine = 0;
  const onProgress = (p: BackfillProgress) => {
    options.onProgress?.(p);
    if (options.isTTY) {
      if (!bar) {
        // loaded only for a terminal: a run in CI or a pod starts without it
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { SingleBar: Bar } = require('cli-progress') as typeof import('cli-progress');
        bar = new Bar({ format: `${job.name} [{bar}] {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_text}{paused}`, stream: stderr, hideCursor: true });
        bar.start(p.estimatedTotal ?? p.rowsDone, p.rowsDone, { rate: 0, eta_text: '?', paused: '' });
      }
      bar.setTotal(Math.max(p.estimatedTotal ?? 0, p.rowsDone));
      bar.update(p.rowsDone, { rate: p.rowsPerSecond, eta_text: eta(p), paused: p.paused ? ` | ${p.paused}` : '' });
    } else if (Date.now() - lastLine >= 1000 || p.paused) {
      lastLine = Date.now();
      const total = p.estimatedTotal ? ` of ~${p.estimatedTotal} (${Math.min(100, Math.round((100 * p.rowsDone) / Math.max(p.estimatedTotal, 1)))}%)` : '';
      stderr.write(`${job.name}: ${p.rowsDone}${total} rows, ${p.rowsPerSecond} rows/s, ETA ${eta(p)}, batch ${p.batchSize}${p.paused ? `; ${p.paused}` : ''}\n`);
    }
  };
  try {
    const result = await runBackfill({
      url: options.url,
      job,
      batchSize: options.batchSize,
      targetBatchMs: options.targetBatchMs,
      workers: options.workers,
      maxRowsPerSecond: options.maxRowsPerSecond,
      ownerWaitMs: options.ownerWaitMs,
      onOwnerWait: (owner, waitedMs) => {
        bar?.stop();
        stderr.write(`${job.name}: waiting for ${owner}, which runs this job, for ${Math.round(waitedMs / 1000)} s\n`);
      },
      signal: options.signal,
      redact: options.redact,
      onProgress,
      onBatch: (rows, seconds) => options.onRows?.(job.name, rows, seconds),
      onBatchError: (error, attempt) => {
        stderr.write(`${job.name}: batch failed (attempt ${attempt}): ${(error as Error).message}\n`);
        options.onBatchError?.(job.name, error, attempt);
      },
    });
    bar?.stop();
    if (options.json) stdout.write(JSON.stringify(result) + '\n');
    else stdout.write(`${job.name}: ${result.status === 'done' ? 'done' : 'stopped, resumable'}, ${result.rows} rows in ${(result.durationMs / 1000).toFixed(1)} s (${result.rowsPerSecond} rows/s)\n`);
    return result.status === 'done' ? 0 : 130;
  } finally {
    bar?.stop();
  }
}

/** Rows as lines with aligned columns (the first row the header); `right` columns align right. No trailing spaces. */
function alignColumns(rows: string[][], right: number[]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (right.includes(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd());
}
