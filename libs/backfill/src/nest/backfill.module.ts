import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { ConfigurableModuleClass, type ASYNC_OPTIONS_TYPE } from './backfill.module-definition';
import { BackfillService } from './backfill.service';

/** What `BackfillModule.forRootAsync` takes: `useFactory` (with `inject`), `useClass` or `useExisting`, and `isGlobal`. */
export type BackfillModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;

/**
 * Backfill jobs on @nestjs/schedule: `BackfillModule.forRoot({ url, jobs, alert })`, or
 * `forRootAsync({ inject: [ConfigService], useFactory: (config) => ({ url: config.get(...), jobs }) })`.
 */
@Module({
  imports: [ScheduleModule.forRoot()],
  providers: [BackfillService],
  exports: [BackfillService],
})
export class BackfillModule extends ConfigurableModuleClass {}
