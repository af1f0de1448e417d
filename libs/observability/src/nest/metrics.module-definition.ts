import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { Registry } from 'prom-client';
import type { MigrationMetrics } from '../metrics/metrics';
import { metricsControllerAt } from './metrics.controller';

export interface MetricsModuleOptions {
  /** An instance to serve, e.g. one the app also hands to code outside Nest; default a new one. */
  metrics?: MigrationMetrics;
  /**
   * A prom-client registry the app already serves (e.g. @willsoto/nestjs-prometheus's) to add the
   * toolkit's series to; pair it with `path: false` so no second endpoint is mounted.
   */
  registry?: Registry;
}

export interface MetricsModuleExtras {
  /** Provide MigrationMetrics to every module (default true). */
  isGlobal: boolean;
  /** Where to serve the text format (default `metrics`), or `false` to mount no endpoint. */
  path: string | false;
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } = new ConfigurableModuleBuilder<MetricsModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<MetricsModuleExtras>({ isGlobal: true, path: 'metrics' }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    controllers: extras.path === false ? [] : [metricsControllerAt(extras.path)],
  }))
  .build();
