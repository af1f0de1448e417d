import type { BackfillJob } from '../backfill-job';

export interface BackfillAlert {
  kind: 'backfill_failed' | 'backfill_stalled';
  job: string;
  summary: string;
  error?: string;
}

/** `useClass` options factories implement this. */
export interface BackfillOptionsFactory {
  create(): BackfillModuleOptions | Promise<BackfillModuleOptions>;
}

export interface BackfillModuleOptions {
  url: string;
  jobs: BackfillJob[];
  /** Called when a tick fails (after its batch retries) or a job makes no progress; never swallowed. */
  alert?: (alert: BackfillAlert) => Promise<unknown> | unknown;
  /** Called after every batch, for metrics (e.g. backfill_rows_total). */
  onBatch?: (job: string, rows: number, seconds: number) => void;
  /** How long one tick may take batches (default 50 s). */
  tickBudgetMs?: number;
  maxRowsPerSecond?: number;
  /** Applied to what is stored and logged (a batch's error can quote a secret), e.g. observability's createRedactor(env). */
  redact?: (text: string) => string;
}
