import type { TestDatabase } from './database';

/** `character varying(64)`-style type of a column, or undefined when it does not exist. */
export async function columnType(db: TestDatabase, table: string, column: string): Promise<string | undefined> {
  const rows = await db.query<{ type: string }>(
    `select data_type || coalesce('(' || character_maximum_length || ')', '') as type from information_schema.columns where table_name = $1 and column_name = $2`,
    [table, column],
  );
  return rows[0]?.type;
}

/** `true`/`false` for an index's validity, `missing` when there is none. */
export async function indexState(db: TestDatabase, index: string): Promise<string> {
  const rows = await db.query<{ state: string }>(`select coalesce((select indisvalid::text from pg_index where indexrelid = to_regclass($1)), 'missing') as state`, [index]);
  return rows[0].state;
}

export async function tableExists(db: TestDatabase, table: string): Promise<boolean> {
  const rows = await db.query<{ present: boolean }>(`select to_regclass($1) is not null as present`, [table]);
  return rows[0].present;
}

export async function historyNames(db: TestDatabase, table: 'migrations' | 'mikro_orm_migrations'): Promise<string[]> {
  if (!(await tableExists(db, table))) return [];
  return (await db.query<{ name: string }>(`select name from ${table} order by id`)).map((r) => r.name);
}
