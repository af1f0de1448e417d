// the logger and its colours without the rest of the package (metrics load prom-client): what a command line needs to start
export * from './color';
export * from './logger';
