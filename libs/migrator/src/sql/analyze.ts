import { createHash } from 'node:crypto';
import { isConcurrent, mustRunOutsideTransaction, parseStatements, transactionControl } from '@zdm/migration-lint';

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
}

type Node = Record<string, unknown> & { [key: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const DML = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'CopyStmt', 'DoStmt', 'CallStmt', 'SelectStmt']);

function classify(kind: string, body: Node, pgVersion?: number): Omit<StatementInfo, 'text'> {
  let readOnly = false;
  switch (kind) {
    case 'SelectStmt':
      readOnly = !body.lockingClause && !body.intoClause;
      break;
    case 'VariableShowStmt':
      readOnly = true;
      break;
    case 'ExplainStmt':
      readOnly = !(body.options ?? []).some((o: Node) => o?.DefElem?.defname === 'analyze');
      break;
  }
  const concurrent = isConcurrent(kind, body);
  const info: Omit<StatementInfo, 'text'> = {
    readOnly,
    concurrent,
    outsideTransaction: mustRunOutsideTransaction(kind, body, pgVersion),
    ddl: !DML.has(kind) && !readOnly && kind !== 'VariableSetStmt' && kind !== 'TransactionStmt',
    transactionControl: transactionControl(kind, body),
  };
  if (kind === 'IndexStmt' && concurrent && typeof body.idxname === 'string') {
    info.concurrentIndex = { name: body.idxname, schema: body.relation?.schemaname, relationStart: Number(body.relation?.location ?? -1) };
  }
  if (kind === 'DropStmt' && concurrent && body.removeType === 'OBJECT_INDEX') {
    info.droppedIndexes = (body.objects ?? []).map((o: Node) => {
      const parts = (o?.List?.items ?? []).map((i: Node) => String(i?.String?.sval));
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
    return (await parseStatements(sql)).map((s) => ({ text: s.text, ...classify(s.kind, s.node as Node, pgVersion) }));
  } catch {
    const concurrent = /\bconcurrently\b/i.test(sql);
    return [{ text: sql.trim(), readOnly: false, concurrent, outsideTransaction: concurrent, ddl: true }];
  }
}

export function sqlHash(sql: string): string {
  return createHash('sha256').update(sql.replace(/\s+/g, ' ').trim()).digest('hex').slice(0, 16);
}
