import { createHash } from 'node:crypto';
import { parseStatements } from '@zdm/migration-lint';

export interface StatementInfo {
  /** The statement's own text, trimmed. */
  text: string;
  /** A read that changes nothing: a plain SELECT (no FOR UPDATE, no INTO), SHOW, EXPLAIN without ANALYZE. */
  readOnly: boolean;
  /** Must run outside a transaction block and waits for older transactions by design. */
  concurrent: boolean;
  /** Schema changes, as opposed to data changes (DML) and reads. */
  ddl: boolean;
  /** `CREATE INDEX CONCURRENTLY`: the index it builds, to find an INVALID leftover of a failed build. */
  concurrentIndex?: { name: string; schema?: string };
}

type Node = Record<string, unknown>;

const DML = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'CopyStmt', 'DoStmt', 'CallStmt', 'SelectStmt']);

function classify(kind: string, body: Node): Omit<StatementInfo, 'text'> {
  let readOnly = false;
  let concurrent = false;
  let concurrentIndex: StatementInfo['concurrentIndex'];
  switch (kind) {
    case 'SelectStmt':
      readOnly = !body.lockingClause && !body.intoClause;
      break;
    case 'VariableShowStmt':
      readOnly = true;
      break;
    case 'ExplainStmt':
      readOnly = !JSON.stringify(body.options ?? []).includes('"analyze"');
      break;
    case 'IndexStmt': {
      concurrent = body.concurrent === true;
      const relation = body.relation as { schemaname?: string } | undefined;
      if (concurrent && typeof body.idxname === 'string') concurrentIndex = { name: body.idxname, schema: relation?.schemaname };
      break;
    }
    case 'DropStmt':
    case 'ReindexStmt':
      concurrent = body.concurrent === true || /\bconcurrently\b/i.test(JSON.stringify(body.params ?? []));
      break;
  }
  return { readOnly, concurrent, concurrentIndex, ddl: !DML.has(kind) && !readOnly && kind !== 'VariableSetStmt' };
}

/**
 * Splits SQL into statements with the real PostgreSQL parser and says what each one is.
 * SQL the parser can't read (another dialect, a template) is kept whole as one write statement,
 * so the server, not this function, reports the error.
 */
export async function analyzeSql(sql: string): Promise<StatementInfo[]> {
  try {
    return (await parseStatements(sql)).map((s) => ({ text: s.text, ...classify(s.kind, s.node as Node) }));
  } catch {
    return [{ text: sql.trim(), readOnly: false, concurrent: /\bconcurrently\b/i.test(sql), ddl: true }];
  }
}

export function sqlHash(sql: string): string {
  return createHash('sha256').update(sql.replace(/\s+/g, ' ').trim()).digest('hex').slice(0, 16);
}
