import type { MigrationOverrides, Queryable } from '../types';

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

/** The rows of an ORM's history table in the order it wrote them; none when the table does not exist yet. */
export async function historyRows(reader: Queryable, table: string, columns: string): Promise<Record<string, unknown>[]> {
  const { rows } = await reader.query(`select to_regclass($1) is not null as present`, [table]);
  if (!rows[0]?.present) return [];
  return (await reader.query(`select ${columns} from ${table} order by id`)).rows;
}
