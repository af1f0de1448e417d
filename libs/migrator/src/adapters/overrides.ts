import type { MigrationOverrides } from '../types';

/**
 * Reads the overrides a migration class declares, the same property names for both ORMs:
 * `lockTimeoutMs`, `lockRetries`, `statementTimeoutMs`, `timeoutMs`.
 */
export function readOverrides(instance: Record<string, unknown>): MigrationOverrides {
  const pick = (key: keyof MigrationOverrides) => (typeof instance[key] === 'number' ? (instance[key] as number) : undefined);
  return { lockTimeoutMs: pick('lockTimeoutMs'), lockRetries: pick('lockRetries'), statementTimeoutMs: pick('statementTimeoutMs'), timeoutMs: pick('timeoutMs') };
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualifiedTable(table: string, schema?: string): string {
  return schema ? `${quoteIdent(schema)}.${quoteIdent(table)}` : quoteIdent(table);
}
