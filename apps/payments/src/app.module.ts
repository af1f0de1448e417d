import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { BackfillModule } from '@zdm/backfill/nest';
import { MigrationsHealthModule } from '@zdm/migration-cli/nest';
import { appConnection, typeOrmOptions } from '@zdm/db';
import { createAlerter, createLogger, createRedactor, MigrationMetrics } from '@zdm/observability';
import { MetricsModule } from '@zdm/observability/nest';
import { chargebacksReportedAt } from '../backfills/chargebacks-reported-at.backfill';
import { PAYMENTS_ENTITIES } from './entities';
import { HealthController } from './health.controller';

const ROOT = join(__dirname, '../../..');

@Module({
  imports: [
    // JSON lines like the migrate CLI's (same pino setup, same redactor), on stdout
    LoggerModule.forRoot({ pinoHttp: { logger: createLogger({ env: process.env, redactor: createRedactor(process.env), stream: process.stdout, bindings: { app: 'payments' } }) } }),
    MetricsModule.forRoot(),
    TerminusModule,
    MigrationsHealthModule.forRoot({ apps: ['payments'] }),
    TypeOrmModule.forRootAsync({
      useFactory: () => typeOrmOptions({ target: appConnection('payments', ROOT), entities: PAYMENTS_ENTITIES, applicationName: 'payments-app' }),
    }),
    TypeOrmModule.forFeature(PAYMENTS_ENTITIES),
    // the expand/contract data step runs inside the app, every minute, until it has nothing left to do
    BackfillModule.forRootAsync({
      inject: [MigrationMetrics],
      useFactory: (metrics: MigrationMetrics) => {
        const alerter = createAlerter(process.env, { redactor: createRedactor(process.env) });
        return {
          url: appConnection('payments', ROOT).url,
          jobs: [chargebacksReportedAt],
          onBatch: (job, rows, seconds) => metrics.backfillBatch(job, rows, seconds),
          alert: (a) => alerter.send({ ...a, env: process.env.ENV ?? 'development', host: process.env.HOSTNAME ?? 'payments' }),
        };
      },
    }),
  ],
  controllers: [HealthController],
})
export class AppModule {}
