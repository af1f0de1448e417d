export * from './lint';
export * from './parse';
export type { Severity } from './rule';
export * from './cut';
