import { Global, Module, type DynamicModule } from '@nestjs/common';
import { MigrationMetrics } from '../metrics/metrics';
import { MetricsController } from './metrics.controller';

/** Serves /metrics and provides the MigrationMetrics instance to the app (e.g. to the backfill module). */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(): DynamicModule {
    return { module: MetricsModule, providers: [{ provide: MigrationMetrics, useValue: new MigrationMetrics() }], controllers: [MetricsController], exports: [MigrationMetrics] };
  }
}
