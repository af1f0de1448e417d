import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { holdInTransaction, waitFor } from '../../../../test/support/sessions';
import { defineBackfill } from '../backfill-job';
import type { BackfillAlert } from './backfill-module-options';
import { BACKFILL_OPTIONS } from './backfill.constants';
import { BackfillModule } from './backfill.module';
import { BackfillService } from './backfill.service';

describe('BackfillModule on @nestjs/schedule', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase('backfill_nest');
    await db.query(`create table items (id bigint generated always as identity primary key, n int not null, doubled int)`);
    await db.query(`insert into items (n) select i from generate_series(1, 3000) i`);
  });
  afterEach(() => db.drop());

  async function boot(jobs: Parameters<typeof BackfillModule.forRoot>[0]['jobs'], alerts: BackfillAlert[], rows: number[], tickBudgetMs?: number) {
    @Module({ imports: [BackfillModule.forRoot({ url: db.url, jobs, tickBudgetMs, alert: (a) => void alerts.push(a), onBatch: (_job, n) => void rows.push(n) })] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    await app.init();
    return app;
  }

  it('runs a job on its schedule until every row is done', async () => {
    const alerts: BackfillAlert[] = [];
    const rows: number[] = [];
    const app = await boot([defineBackfill({ name: 'items-doubled', table: 'items', set: 'doubled = n * 2', where: 'doubled IS NULL', schedule: '* * * * * *', batchSize: 1000 })], alerts, rows);
    try {
      await waitFor(async () => (await db.query<{ left: number }>(`select count(*)::int as left from items where doubled is null`))[0].left === 0 || undefined, 10_000);
      expect(rows.reduce((a, b) => a + b, 0)).toBe(3000);
      expect(alerts).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('alerts a job that makes no progress for three ticks while rows remain', async () => {
    await db.query(`update items set doubled = n * 2 where id > 10`);
    const app_ = await holdInTransaction(db.url, 'select * from items where id <= 10 for update', 'app');
    const alerts: BackfillAlert[] = [];
    const app = await boot([defineBackfill({ name: 'items-doubled', table: 'items', set: 'doubled = n * 2', where: 'doubled IS NULL', schedule: '* * * * * *' })], alerts, [], 300);
    try {
      await waitFor(async () => alerts.length > 0 || undefined, 15_000);
      expect(alerts[0]).toMatchObject({ kind: 'backfill_stalled', job: 'items-doubled', summary: 'backfill items-doubled made no progress in 3 ticks while rows remain' });
    } finally {
      await app.close();
      await app_.release();
    }
  }, 30_000);

  it('never swallows a failing tick: it reaches the alert hook', async () => {
    const alerts: BackfillAlert[] = [];
    const app = await boot([defineBackfill({ name: 'broken', table: 'items', set: 'doubled = n / 0', where: 'doubled IS NULL', schedule: '* * * * * *' })], alerts, []);
    try {
      await waitFor(async () => alerts.length > 0 || undefined, 20_000);
      expect(alerts[0]).toMatchObject({ kind: 'backfill_failed', job: 'broken', error: expect.stringMatching(/division by zero/) });
    } finally {
      await app.close();
    }
  }, 30_000);
});

describe('BackfillModule options from forRootAsync', () => {
  it('takes them from useFactory (with inject), useClass or useExisting', async () => {
    const options = { url: 'postgres://app@127.0.0.1:1/none', jobs: [] };
    class FromClass {
      create() {
        return options;
      }
    }
    const URL_TOKEN = 'BACKFILL_URL';
    @Module({ providers: [FromClass, { provide: URL_TOKEN, useValue: options.url }], exports: [FromClass, URL_TOKEN] })
    class Settings {}
    for (const module of [
      BackfillModule.forRootAsync({ imports: [Settings], inject: [URL_TOKEN], useFactory: (url: string) => ({ url, jobs: [] }) }),
      BackfillModule.forRootAsync({ useClass: FromClass }),
      BackfillModule.forRootAsync({ imports: [Settings], useExisting: FromClass }),
    ]) {
      @Module({ imports: [module] })
      class AppModule {}
      const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
      try {
        expect(app.get(BACKFILL_OPTIONS)).toEqual(options);
        expect(app.get(BackfillService)).toBeInstanceOf(BackfillService);
      } finally {
        await app.close();
      }
    }
  });
});
