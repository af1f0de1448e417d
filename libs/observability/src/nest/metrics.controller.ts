import { Controller, Get, Header, Inject, type Type } from '@nestjs/common';
import { MigrationMetrics } from '../metrics/metrics';

/** GET /metrics: the toolkit's series (backfill_rows_total and the rest) in Prometheus text format. */
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(MigrationMetrics) private readonly metrics: MigrationMetrics) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.text();
  }
}

/** The same endpoint at another path (`MetricsModule.forRoot({ path: 'internal/metrics' })`). */
export function metricsControllerAt(path: string): Type<MetricsController> {
  if (path === 'metrics') return MetricsController;
  class MetricsAtPathController extends MetricsController {}
  Controller(path)(MetricsAtPathController);
  return MetricsAtPathController;
}
