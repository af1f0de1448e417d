import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { appConnection, typeOrmOptions } from '@zdm/db';
import { PAYMENTS_ENTITIES } from './data-source';
import { HealthController } from './health.controller';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      useFactory: () =>
        typeOrmOptions({
          target: appConnection('payments', join(__dirname, '../../..')),
          entities: PAYMENTS_ENTITIES,
          applicationName: 'payments-app',
        }),
    }),
    TypeOrmModule.forFeature(PAYMENTS_ENTITIES),
  ],
  controllers: [HealthController],
})
export class AppModule {}
