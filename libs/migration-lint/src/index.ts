export * from './lint';
export * from './parse';
export type { RuleLevel, Severity } from './rule';
export * from './statement-kinds';
export * from './source-location';
export * from './cut';
export * from './nodes';
export * from './visit';
export * from './lock-modes';
