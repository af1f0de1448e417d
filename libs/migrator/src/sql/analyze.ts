import { createHash } from 'node:crypto';
import type { ParsedStatement, RelationLock } from '@zdm/migration-lint';
import { linter } from '../linter';

export interface StatementInfo {
  /** The statement's own text, trimmed. */
  text: string;
  /** A read that changes nothing: a plain SELECT (no FOR UPDATE, no INTO), SHOW, EXPLAIN without ANALYZE. */
  readOnly: boolean;
  /** Waits for older transactions by design (CONCURRENTLY): it runs with lock_timeout 0. */
  concurrent: boolean;
  /** PostgreSQL refuses it inside a transaction block (CONCURRENTLY, VACUUM, CREATE DATABASE, ...). */
  outsideTransaction: boolean;
  /** Schema changes, as opposed to data changes (DML) and reads. */
  ddl: boolean;
  /** `BEGIN`, `COMMIT`, ... (savepoints excluded): the statement starts or ends a transaction. */
  transactionControl?: string;
  /** `CREATE INDEX CONCURRENTLY`: the index it builds, to find what an earlier, killed build left. */
  concurrentIndex?: { name: string; schema?: string; relationStart: number };
  /** `DROP INDEX CONCURRENTLY`: the indexes it drops (a resumed run finds them gone: done). */
  droppedIndexes?: { name: string; schema?: string }[];
  /** The tables it locks and how, as the one lockModes module reads the parse tree; absent when the SQL could not be parsed. */
  locks?: RelationLock[];
}

const DML = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'CopyStmt', 'DoStmt', 'CallStmt', 'SelectStmt']);

function classify(s: ParsedStatement, pgVersion?: number): Omit<StatementInfo, 'text'> {
  const { isConcurrent, lockModes, mustRunOutsideTransaction, nodeOf, nodesOf, transactionControl } = linter();
  let readOnly = false;
  switch (s.kind) {
    case 'SelectStmt':
      readOnly = !s.node.lockingClause && !s.node.intoClause;
      break;
    case 'VariableShowStmt':
      readOnly = true;
      break;
    case 'ExplainStmt':
      readOnly = !nodesOf(s.node.options, 'DefElem').some((o) => o.defname === 'analyze');
      break;
  }
  const concurrent = isConcurrent(s.kind, s.node);
  const info: Omit<StatementInfo, 'text'> = {
    readOnly,
    concurrent,
    outsideTransaction: mustRunOutsideTransaction(s.kind, s.node, pgVersion),
    ddl: !DML.has(s.kind) && !readOnly && s.kind !== 'VariableSetStmt' && s.kind !== 'TransactionStmt',
    transactionControl: transactionControl(s.kind, s.node),
    locks: lockModes(s, pgVersion),
  };
  if (s.kind === 'IndexStmt' && concurrent && typeof s.node.idxname === 'string') {
    info.concurrentIndex = { name: s.node.idxname, schema: s.node.relation?.schemaname, relationStart: Number(s.node.relation?.location ?? -1) };
  }
  if (s.kind === 'DropStmt' && concurrent && s.node.removeType === 'OBJECT_INDEX') {
    info.droppedIndexes = (s.node.objects ?? []).map((o) => {
      const parts = (nodeOf(o, 'List')?.items ?? []).map((i) => String(nodeOf(i, 'String')?.sval));
      return parts.length > 1 ? { schema: parts[0], name: parts[parts.length - 1] } : { name: parts[0] };
    });
  }
  return info;
}

/**
 * Splits SQL into statements with the real PostgreSQL parser and says what each one is.
 * SQL the parser can't read (another dialect, a template) is kept whole as one write statement,
 * so the server, not this function, reports the error.
 */
export async function analyzeSql(sql: string, pgVersion?: number): Promise<StatementInfo[]> {
  try {
    return (await linter().parseStatements(sql)).map((s) => ({ text: s.text, ...classify(s, pgVersion) }));
  } catch {
    const concurrent = /\bconcurrently\b/i.test(sql);
    return [{ text: sql.trim(), readOnly: false, concurrent, outsideTransaction: concurrent, ddl: true }];
  }
}

export function sqlHash(sql: string): string {
  return createHash('sha256').update(sql.replace(/\s+/g, ' ').trim()).digest('hex').slice(0, 16);
}
