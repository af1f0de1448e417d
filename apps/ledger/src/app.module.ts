import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { BackfillModule } from '@zdm/backfill/nest';
import { MigrationsHealthModule } from '@zdm/migration-cli/nest';
import { appConnection } from '@zdm/db';
import { createAlerter, createLogger, createRedactor, MigrationMetrics } from '@zdm/observability';
import { MetricsModule } from '@zdm/observability/nest';
import { ledgerEntriesExternalRef } from '../backfills/ledger-entries-external-ref.backfill';
import { HealthController } from './health.controller';

const ROOT = join(__dirname, '../../..');

@Module({
  imports: [
    // JSON lines like the migrate CLI's (same pino setup, same redactor), on stdout
    LoggerModule.forRoot({ pinoHttp: { logger: createLogger({ env: process.env, redactor: createRedactor(process.env), stream: process.stdout, bindings: { app: 'ledger' } }) } }),
    MetricsModule.forRoot(),
    TerminusModule,
    MigrationsHealthModule.forRoot({ apps: ['ledger'] }),
    MikroOrmModule.forRootAsync({
      // the config resolves the connection when the module starts, not when this file loads
      useFactory: () => ({ ...require('./mikro-orm.config').default, driverOptions: { application_name: 'ledger-app' } }),
      driver: PostgreSqlDriver,
    }),
    BackfillModule.forRootAsync({
      inject: [MigrationMetrics],
      useFactory: (metrics: MigrationMetrics) => {
        const alerter = createAlerter(process.env, { redactor: createRedactor(process.env) });
        return {
          url: appConnection('ledger', ROOT).url,
          jobs: [ledgerEntriesExternalRef],
          onBatch: (job, rows, seconds) => metrics.backfillBatch(job, rows, seconds),
          alert: (a) => alerter.send({ ...a, env: process.env.ENV ?? 'development', host: process.env.HOSTNAME ?? 'ledger' }),
        };
      },
    }),
  ],
  controllers: [HealthController],
})
export class AppModule {}
