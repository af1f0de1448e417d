import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { MigrationMetrics } from '../metrics/metrics';
import { MetricsModule } from './metrics.module';

describe('MetricsModule', () => {
  it('serves GET /metrics from the instance it provides', async () => {
    const metrics = new MigrationMetrics();
    metrics.backfillBatch('chargebacks-reported-at', 300, 0.1);
    const app = await NestFactory.create(MetricsModule.forRoot({ metrics }), { logger: false });
    try {
      await app.listen(0, '127.0.0.1');
      expect(app.get(MigrationMetrics)).toBe(metrics);
      const response = await fetch(`${await app.getUrl()}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await response.text()).toContain('backfill_rows_total{job="chargebacks-reported-at"} 300');
    } finally {
      await app.close();
    }
  });
});
