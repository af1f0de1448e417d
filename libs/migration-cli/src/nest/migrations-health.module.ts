import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { MigrationsHealthIndicator } from './migrations-health.indicator';
import { ConfigurableModuleClass } from './migrations-health.module-definition';

/**
 * The migrations readiness indicator for @nestjs/terminus:
 * `MigrationsHealthModule.forRoot({ apps: ['payments'] })`, or `forRootAsync({ useFactory, inject })`
 * (also `useClass`, `useExisting`), with `isGlobal` to share it.
 */
@Module({
  imports: [TerminusModule],
  providers: [MigrationsHealthIndicator],
  exports: [MigrationsHealthIndicator],
})
export class MigrationsHealthModule extends ConfigurableModuleClass {}
