export * from './lint';
export type { Severity } from './rule';
