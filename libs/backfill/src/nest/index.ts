export * from './backfill-module-options';
export * from './backfill.constants';
export * from './backfill.module';
export * from './backfill.service';
