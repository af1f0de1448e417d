import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { HealthController } from './health.controller';

@Module({
  imports: [
    MikroOrmModule.forRootAsync({
      // the config resolves the connection when the module starts, not when this file loads
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      useFactory: () => ({ ...require('./mikro-orm.config').default, driverOptions: { application_name: 'ledger-app' } }),
    }),
  ],
  controllers: [HealthController],
})
export class AppModule {}
