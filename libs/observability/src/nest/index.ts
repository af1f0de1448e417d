export * from './metrics.controller';
export * from './metrics.module';
export { type MetricsModuleExtras, type MetricsModuleOptions } from './metrics.module-definition';
