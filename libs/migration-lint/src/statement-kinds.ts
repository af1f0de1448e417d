import type { PgNode } from './rule';

/**
 * What a statement is, as the engine and the linter both need to know it: one answer for both,
 * read from the parse tree (never from the text).
 */

/** `DROP INDEX CONCURRENTLY`, `REINDEX ... CONCURRENTLY`, `CREATE INDEX CONCURRENTLY`, `DETACH PARTITION ... CONCURRENTLY`. */
export function isConcurrent(kind: string, node: PgNode): boolean {
  switch (kind) {
    case 'IndexStmt':
    case 'DropStmt':
      return node?.concurrent === true;
    case 'ReindexStmt':
      return (node?.params ?? []).some((p: PgNode) => p?.DefElem?.defname === 'concurrently');
    case 'AlterTableStmt':
      return (node?.cmds ?? []).some((c: PgNode) => c?.AlterTableCmd?.subtype === 'AT_DetachPartition' && c.AlterTableCmd.def?.PartitionCmd?.concurrent === true);
    default:
      return false;
  }
}

/**
 * Statements PostgreSQL refuses inside a transaction block. `pgVersion` matters for one of them:
 * `ALTER TYPE ... ADD VALUE` runs in a transaction from 12 on.
 */
export function mustRunOutsideTransaction(kind: string, node: PgNode, pgVersion = 18): boolean {
  if (isConcurrent(kind, node)) return true;
  switch (kind) {
    case 'VacuumStmt':
      return node?.is_vacuumcmd === true;
    case 'CreatedbStmt':
    case 'DropdbStmt':
    case 'AlterSystemStmt':
    case 'CreateTableSpaceStmt':
    case 'DropTableSpaceStmt':
    case 'CreateSubscriptionStmt':
    case 'DropSubscriptionStmt':
      return true;
    case 'ClusterStmt':
      return !node?.relation;
    case 'ReindexStmt':
      return ['REINDEX_OBJECT_SCHEMA', 'REINDEX_OBJECT_DATABASE', 'REINDEX_OBJECT_SYSTEM'].includes(node?.kind);
    case 'AlterEnumStmt':
      return pgVersion < 12 && !node?.oldVal;
    default:
      return false;
  }
}

/** The keyword of a statement that ends or starts a transaction (savepoints excluded), or undefined. */
export function transactionControl(kind: string, node: PgNode): string | undefined {
  if (kind !== 'TransactionStmt') return undefined;
  const keywords: Record<string, string> = {
    TRANS_STMT_BEGIN: 'BEGIN',
    TRANS_STMT_START: 'START TRANSACTION',
    TRANS_STMT_COMMIT: 'COMMIT',
    TRANS_STMT_ROLLBACK: 'ROLLBACK',
    TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
    TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
    TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
  };
  return keywords[node?.kind];
}

/** Whether a statement opens a transaction block (`BEGIN`, `START TRANSACTION`). */
export function opensTransaction(kind: string, node: PgNode): boolean {
  return kind === 'TransactionStmt' && (node?.kind === 'TRANS_STMT_BEGIN' || node?.kind === 'TRANS_STMT_START');
}

/** The runner's own limits: a migration that sets them is overridden before its next statement. */
export const RUNNER_SETTINGS = ['lock_timeout', 'statement_timeout', 'idle_in_transaction_session_timeout'];

/** The runner-owned settings a statement changes: `SET`, `RESET`, `RESET ALL`, or a `set_config()` call in a SELECT. */
export function runnerSettingsChanged(kind: string, node: PgNode): string[] {
  if (kind === 'VariableSetStmt') {
    if (node?.kind === 'VAR_RESET_ALL') return [...RUNNER_SETTINGS];
    return RUNNER_SETTINGS.includes(String(node?.name ?? '').toLowerCase()) ? [String(node.name).toLowerCase()] : [];
  }
  if (kind !== 'SelectStmt') return [];
  const found: string[] = [];
  for (const target of node?.targetList ?? []) {
    const call = target?.ResTarget?.val?.FuncCall;
    const name = (call?.funcname ?? []).map((n: PgNode) => n?.String?.sval).join('.');
    const setting = String(call?.args?.[0]?.A_Const?.sval?.sval ?? '').toLowerCase();
    if ((name === 'set_config' || name === 'pg_catalog.set_config') && RUNNER_SETTINGS.includes(setting)) found.push(setting);
  }
  return found;
}
