import { alterCommands, relationName } from './rule';
import { nodeOf, nodesOf, qualifiedName } from './nodes';
import { parseStatements } from './parse';

/** What a statement destroys that a backup can bring back: a whole table, or columns of one (kept with the table's key). */
export interface BackupTarget {
  /** `table` or `schema.table`, as the statement names it. */
  table: string;
  /** The columns at risk; undefined for the whole table. */
  columns?: string[];
  /** The rule that marks it: ban-drop-table, ban-truncate, ban-drop-column, changing-column-type. */
  rule: string;
}

/**
 * The data the statements of a migration drop, truncate or rewrite, as the linter's rules mark it
 * (ban-drop-table, ban-truncate, ban-drop-column, changing-column-type): what to copy out before
 * the migration runs. SQL the parser can't read marks nothing.
 */
export async function backupTargets(sql: string): Promise<BackupTarget[]> {
  let statements;
  try {
    statements = await parseStatements(sql);
  } catch {
    return [];
  }
  const targets: BackupTarget[] = [];
  const add = (target: BackupTarget) => {
    const same = targets.find((t) => t.table === target.table);
    if (!same) return targets.push(target);
    if (!same.columns || !target.columns) same.columns = undefined;
    else same.columns = [...new Set([...same.columns, ...target.columns])];
    if (!same.columns) same.rule = target.columns ? same.rule : target.rule;
  };
  for (const s of statements) {
    if (s.kind === 'DropStmt' && s.node.removeType === 'OBJECT_TABLE') {
      for (const o of s.node.objects ?? []) add({ table: qualifiedName(nodeOf(o, 'List')?.items), rule: 'ban-drop-table' });
    } else if (s.kind === 'TruncateStmt') {
      for (const r of nodesOf(s.node.relations, 'RangeVar')) add({ table: relationName(r), rule: 'ban-truncate' });
    } else {
      for (const { subtype, cmd, relation } of alterCommands(s)) {
        if (subtype === 'AT_DropColumn' && cmd.name) add({ table: relationName(relation), columns: [cmd.name], rule: 'ban-drop-column' });
        if (subtype === 'AT_AlterColumnType' && cmd.name) add({ table: relationName(relation), columns: [cmd.name], rule: 'changing-column-type' });
      }
    }
  }
  return targets;
}
