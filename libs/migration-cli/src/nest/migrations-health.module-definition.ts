import { ConfigurableModuleBuilder } from '@nestjs/common';

export interface MigrationsHealthOptions {
  /** The apps whose migrations this process needs applied (default: every app of the config). */
  apps?: string[];
  /** The migrate.config file (default: found from the working directory up, as the CLI finds it). */
  config?: string;
  /** The environment the database URLs come from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** How long one answer from the database serves later probes (default 5000 ms). */
  cacheMs?: number;
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } = new ConfigurableModuleBuilder<MigrationsHealthOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
