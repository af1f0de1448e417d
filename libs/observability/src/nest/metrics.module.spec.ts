import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Registry } from 'prom-client';
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

describe('MetricsModule options', () => {
  async function serve(module: DynamicModule) {
    const app = await NestFactory.create(module, { logger: false });
    await app.listen(0, '127.0.0.1');
    const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    return { app, get: (path: string) => fetch(`${base}${path}`) };
  }

  it('serves at the path it is given', async () => {
    const { app, get } = await serve(MetricsModule.forRoot({ path: 'internal/metrics' }));
    try {
      expect((await get('/internal/metrics')).status).toBe(200);
      expect((await get('/metrics')).status).toBe(404);
    } finally {
      await app.close();
    }
  });

  it("adds its series to the app's own registry and mounts no second endpoint, options from forRootAsync (useFactory, useClass, useExisting)", async () => {
    const registry = new Registry();
    class RegistryOptions {
      create() {
        return { registry };
      }
    }
    @Module({ providers: [RegistryOptions], exports: [RegistryOptions] })
    class OptionsModule {}
    for (const module of [
      MetricsModule.forRootAsync({ path: false, useFactory: () => ({ registry }) }),
      MetricsModule.forRootAsync({ path: false, useClass: RegistryOptions }),
      MetricsModule.forRootAsync({ path: false, imports: [OptionsModule], useExisting: RegistryOptions }),
    ]) {
      const { app, get } = await serve(module);
      try {
        app.get(MigrationMetrics).backfillBatch('job', 7, 0.1);
        expect(await registry.metrics()).toContain('backfill_rows_total{job="job"} 7');
        expect((await get('/metrics')).status).toBe(404);
      } finally {
        await app.close();
        registry.clear();
      }
    }
  });

  it('isGlobal: false keeps MigrationMetrics to the modules that import it', async () => {
    @Module({ imports: [MetricsModule.forRoot({ isGlobal: false, path: false })] })
    class Importer {}
    const app = await NestFactory.createApplicationContext(Importer, { logger: false });
    try {
      expect(app.get(MigrationMetrics)).toBeInstanceOf(MigrationMetrics);
    } finally {
      await app.close();
    }
  });
});
