import type { LintUnit, NotNullCatalog } from '@zdm/migration-lint';
import { linter } from './linter';
import type { ClientBase } from 'pg';

/**
 * What the target's catalog says about the tables a migration sets NOT NULL on: columns NOT NULL
 * already, and their CHECK and NOT NULL constraints with what each proves. Catalog views only,
 * never a function that opens a relation, so it answers while a table is locked.
 */
export async function readNotNullCatalog(client: ClientBase, unit: LintUnit): Promise<NotNullCatalog | undefined> {
  const targets = await linter().notNullTargets(unit);
  if (!targets.length) return undefined;
  const tables = [...new Set(targets.map((t) => t.table))];
  const wanted = (schema: string, table: string) => targets.some((t) => t.table === table && (!t.schema || t.schema === schema));
  const columns = await client.query<{ schema: string; table: string; column: string }>(
    `select n.nspname as schema, c.relname as table, a.attname as column
       from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where c.relname = any($1::text[]) and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped and a.attnotnull`,
    [tables],
  );
  const constraints = await client.query<{ schema: string; table: string; name: string; kind: string; validated: boolean; definition: string }>(
    `select n.nspname as schema, c.relname as table, con.conname as name, con.contype as kind, con.convalidated as validated, pg_get_constraintdef(con.oid) as definition
       from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
      where c.relname = any($1::text[]) and c.relkind in ('r', 'p') and con.contype in ('c', 'n')`,
    [tables],
  );
  const known = await Promise.all(
    constraints.rows
      .filter((r) => wanted(r.schema, r.table))
      .map(async (r) => ({ schema: r.schema, table: r.table, name: r.name, kind: r.kind, validated: r.validated, notNullColumn: await linter().notNullColumnOfDefinition(r.definition) })),
  );
  // on 18 a NOT NULL ... NOT VALID column is attnotnull too, and SET NOT NULL still scans to validate it
  const unvalidated = (r: { schema: string; table: string; column: string }) =>
    known.some((c) => c.kind === 'n' && !c.validated && c.notNullColumn === r.column && c.schema === r.schema && c.table === r.table);
  return {
    notNullColumns: columns.rows.filter((r) => wanted(r.schema, r.table) && !unvalidated(r)),
    constraints: known.map(({ kind: _kind, ...c }) => c),
  };
}
