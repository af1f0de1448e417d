export * from './cli';
export * from './config/define-config';
export * from './config/load-config';
