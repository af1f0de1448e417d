import { nodeOf, nodesOf, qualifiedName, typedStatement, type StatementNode } from './nodes';

/**
 * What a statement is, as the engine and the linter both need to know it: one answer for both,
 * read from the parse tree (never from the text). Each takes a statement's type and body as
 * `parseStatements` gives them.
 */

/** A statement's body, of any type. */
type Body = StatementNode['node'] | undefined;

/** `DROP INDEX CONCURRENTLY`, `REINDEX ... CONCURRENTLY`, `CREATE INDEX CONCURRENTLY`, `DETACH PARTITION ... CONCURRENTLY`. */
export function isConcurrent(kind: string, node: Body): boolean {
  const s = typedStatement(kind, node ?? {});
  switch (s.kind) {
    case 'IndexStmt':
    case 'DropStmt':
      return s.node.concurrent === true;
    case 'ReindexStmt':
      return nodesOf(s.node.params, 'DefElem').some((p) => p.defname === 'concurrently');
    case 'AlterTableStmt':
      return nodesOf(s.node.cmds, 'AlterTableCmd').some((c) => c.subtype === 'AT_DetachPartition' && nodeOf(c.def, 'PartitionCmd')?.concurrent === true);
    default:
      return false;
  }
}

/** `VACUUM FULL` (`VACUUM (FULL)`, `VACUUM (FULL true)`): it rewrites the table. */
export function isVacuumFull(kind: string, node: Body): boolean {
  const s = typedStatement(kind, node ?? {});
  if (s.kind !== 'VacuumStmt' || s.node.is_vacuumcmd !== true) return false;
  return nodesOf(s.node.options, 'DefElem').some((o) => o.defname === 'full' && nodeOf(o.arg, 'Boolean')?.boolval !== false && nodeOf(o.arg, 'String')?.sval?.toLowerCase() !== 'false');
}

/**
 * Statements PostgreSQL refuses inside a transaction block. `pgVersion` matters for one of them:
 * `ALTER TYPE ... ADD VALUE` runs in a transaction from 12 on.
 */
export function mustRunOutsideTransaction(kind: string, node: Body, pgVersion = 18): boolean {
  if (isConcurrent(kind, node)) return true;
  const s = typedStatement(kind, node ?? {});
  switch (s.kind) {
    case 'VacuumStmt':
      return s.node.is_vacuumcmd === true;
    case 'CreatedbStmt':
    case 'DropdbStmt':
    case 'AlterSystemStmt':
    case 'CreateTableSpaceStmt':
    case 'DropTableSpaceStmt':
    case 'CreateSubscriptionStmt':
    case 'DropSubscriptionStmt':
      return true;
    case 'ClusterStmt':
      return !s.node.relation;
    case 'ReindexStmt':
      return s.node.kind === 'REINDEX_OBJECT_SCHEMA' || s.node.kind === 'REINDEX_OBJECT_DATABASE' || s.node.kind === 'REINDEX_OBJECT_SYSTEM';
    case 'AlterEnumStmt':
      return pgVersion < 12 && !s.node.oldVal;
    default:
      return false;
  }
}

const TRANSACTION_KEYWORDS: Record<string, string> = {
  TRANS_STMT_BEGIN: 'BEGIN',
  TRANS_STMT_START: 'START TRANSACTION',
  TRANS_STMT_COMMIT: 'COMMIT',
  TRANS_STMT_ROLLBACK: 'ROLLBACK',
  TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
  TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
  TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
};

/** The keyword of a statement that ends or starts a transaction (savepoints excluded), or undefined. */
export function transactionControl(kind: string, node: Body): string | undefined {
  const s = typedStatement(kind, node ?? {});
  if (s.kind !== 'TransactionStmt' || !s.node.kind) return undefined;
  return TRANSACTION_KEYWORDS[s.node.kind];
}

/** Whether a statement opens a transaction block (`BEGIN`, `START TRANSACTION`). */
export function opensTransaction(kind: string, node: Body): boolean {
  const s = typedStatement(kind, node ?? {});
  return s.kind === 'TransactionStmt' && (s.node.kind === 'TRANS_STMT_BEGIN' || s.node.kind === 'TRANS_STMT_START');
}

/** The runner's own limits: a migration that sets them is overridden before its next statement. */
export const RUNNER_SETTINGS = ['lock_timeout', 'statement_timeout', 'idle_in_transaction_session_timeout'];

/** The runner-owned settings a statement changes: `SET`, `RESET`, `RESET ALL`, or a `set_config()` call in a SELECT. */
export function runnerSettingsChanged(kind: string, node: Body): string[] {
  const s = typedStatement(kind, node ?? {});
  if (s.kind === 'VariableSetStmt') {
    if (s.node.kind === 'VAR_RESET_ALL') return [...RUNNER_SETTINGS];
    const name = String(s.node.name ?? '').toLowerCase();
    return RUNNER_SETTINGS.includes(name) ? [name] : [];
  }
  if (s.kind !== 'SelectStmt') return [];
  const found: string[] = [];
  for (const target of nodesOf(s.node.targetList, 'ResTarget')) {
    const call = nodeOf(target.val, 'FuncCall');
    const name = qualifiedName(call?.funcname);
    const setting = String(nodeOf(call?.args?.[0], 'A_Const')?.sval?.sval ?? '').toLowerCase();
    if ((name === 'set_config' || name === 'pg_catalog.set_config') && RUNNER_SETTINGS.includes(setting)) found.push(setting);
  }
  return found;
}
