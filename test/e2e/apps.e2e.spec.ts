import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BackfillService } from '@zdm/backfill/nest';
import chargebacksReportedAt from '../../apps/payments/backfills/chargebacks-reported-at.backfill';
import { AppModule as LedgerModule } from '../../apps/ledger/src/app.module';
import { AppModule as PaymentsModule } from '../../apps/payments/src/app.module';
import { runMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { waitFor } from '../support/sessions';

describe('the example Nest apps boot, serve /health and /metrics, and run their backfill', () => {
  let db: TestDatabase;
  const saved = process.env.DATABASE_URL;

  beforeAll(async () => {
    db = await createTestDatabase('apps');
    expect((await runMigrate(['up'], { env: { DATABASE_URL: db.url } })).code).toBe(0);
    await db.query(`insert into chargebacks (payment_id, amount_minor, currency, status) select gen_random_uuid(), i, 'USD', 'open' from generate_series(1, 500) i`);
    process.env.DATABASE_URL = db.url;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
    await db.drop();
  });

  it.each([
    ['payments', PaymentsModule],
    ['ledger', LedgerModule],
  ])('%s', async (_name, AppModule) => {
    const app: INestApplication = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    try {
      const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', database: 'up' });
      // readiness: every migration of this release is applied
      const ready = await fetch(`${base}/health/ready`);
      expect([ready.status, await ready.json()]).toEqual([200, expect.objectContaining({ status: 'ok', info: { migrations: expect.objectContaining({ status: 'up' }) } })]);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('# TYPE backfill_rows_total counter');
    } finally {
      await app.close();
    }
  });

  it('payments backfills chargebacks.reported_at on its schedule', async () => {
    const app = await NestFactory.createApplicationContext(PaymentsModule, { logger: false, abortOnError: false });
    try {
      // the cron fires every minute; a tick now stands in for the next one
      await app.get(BackfillService).tick(chargebacksReportedAt);
      await waitFor(async () => (await db.query<{ n: number }>(`select count(*)::int as n from chargebacks where reported_at is null`))[0].n === 0 || undefined);
    } finally {
      await app.close();
    }
  });
});
