export * from './backfill-job';
export * from './backfill.command';
export * from './backfill.runner';
export * from './errors/backfill-busy.error';
export * from './errors/backfill-failed.error';
export * from './errors/backfill-pooler.error';
export * from './errors/unknown-backfill-job.error';
export * from './progress-table';
