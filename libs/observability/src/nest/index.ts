export * from './metrics.controller';
export * from './metrics.module';
