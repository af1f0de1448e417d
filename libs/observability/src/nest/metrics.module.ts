import { Module, type DynamicModule } from '@nestjs/common';
import { MigrationMetrics } from '../metrics/metrics';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, type MetricsModuleOptions, type OPTIONS_TYPE } from './metrics.module-definition';

/**
 * Provides the MigrationMetrics instance to the app (e.g. to the backfill module) and serves it at
 * GET /metrics: `MetricsModule.forRoot()`, `forRoot({ path: 'internal/metrics' })`, or
 * `forRootAsync({ path: false, inject: [...], useFactory: (...) => ({ registry }) })` to add the
 * series to a registry the app already serves.
 */
@Module({
  providers: [
    {
      provide: MigrationMetrics,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (options: MetricsModuleOptions) => options.metrics ?? new MigrationMetrics({ registry: options.registry }),
    },
  ],
  exports: [MigrationMetrics],
})
export class MetricsModule extends ConfigurableModuleClass {
  /** Every option has a default: `MetricsModule.forRoot()` serves a new instance at /metrics. */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
