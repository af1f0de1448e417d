import { Module, type DynamicModule, type FactoryProvider, type ModuleMetadata } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { BACKFILL_OPTIONS } from './backfill.constants';
import type { BackfillModuleOptions } from './backfill-module-options';
import { BackfillService } from './backfill.service';

export interface BackfillModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: never[]) => BackfillModuleOptions | Promise<BackfillModuleOptions>;
  inject?: FactoryProvider['inject'];
}

/** Backfill jobs on @nestjs/schedule: `BackfillModule.forRoot({ url, jobs, alert })`. */
@Module({})
export class BackfillModule {
  static forRoot(options: BackfillModuleOptions): DynamicModule {
    return {
      module: BackfillModule,
      imports: [ScheduleModule.forRoot()],
      providers: [{ provide: BACKFILL_OPTIONS, useValue: options }, BackfillService],
      exports: [BackfillService],
    };
  }

  static forRootAsync(options: BackfillModuleAsyncOptions): DynamicModule {
    return {
      module: BackfillModule,
      imports: [ScheduleModule.forRoot(), ...(options.imports ?? [])],
      providers: [{ provide: BACKFILL_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }, BackfillService],
      exports: [BackfillService],
    };
  }
}
