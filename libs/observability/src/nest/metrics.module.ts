import { Global, Module, type DynamicModule } from '@nestjs/common';
import { MigrationMetrics } from '../metrics/metrics';
import { MetricsController } from './metrics.controller';

export interface MetricsModuleOptions {
  /** An instance to serve, e.g. one the app also hands to code outside Nest; default a new one. */
  metrics?: MigrationMetrics;
}

/** Serves GET /metrics and provides the MigrationMetrics instance to the app (e.g. to the backfill module). */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(options: MetricsModuleOptions = {}): DynamicModule {
    return {
      module: MetricsModule,
      providers: [{ provide: MigrationMetrics, useValue: options.metrics ?? new MigrationMetrics() }],
      controllers: [MetricsController],
      exports: [MigrationMetrics],
    };
  }
}
