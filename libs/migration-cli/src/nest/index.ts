export * from './migrations-health.indicator';
export * from './migrations-health.module';
export { type MigrationsHealthOptions } from './migrations-health.module-definition';
