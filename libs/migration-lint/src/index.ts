export * from './lint';
export * from './parse';
export { notNullColumnOfDefinition, type CatalogConstraint, type CatalogTable, type NotNullCatalog } from './not-null-proofs';
export type { RuleLevel, Severity } from './rule';
export * from './statement-kinds';
export * from './source-location';
export * from './cut';
