import type { PgNode } from './rule';

export interface ParsedStatement {
  /** The node type: `IndexStmt`, `AlterTableStmt`, ... */
  kind: string;
  node: PgNode;
  /** The statement's own text, trimmed, without its semicolon. */
  text: string;
  /** Where it starts in the SQL (its first token) and ends. */
  start: number;
  end: number;
  /** What stands between the previous statement and this one: whitespace and comments. */
  lead: string;
}

interface PgParser {
  loadModule(): Promise<void>;
  parseSync(sql: string): { stmts?: { stmt: PgNode; stmt_location?: number; stmt_len?: number }[] };
}

let parser: PgParser | undefined;

/**
 * Splits SQL into statements with the real PostgreSQL parser (libpg-query, WASM, loaded once on
 * first use). Throws on SQL the parser cannot read.
 */
export async function parseStatements(sql: string): Promise<ParsedStatement[]> {
  if (!parser) {
    const loaded = require('libpg-query') as PgParser;
    await loaded.loadModule();
    parser = loaded;
  }
  const { stmts = [] } = parser.parseSync(sql);
  let previousEnd = 0;
  return stmts.map((s) => {
    // the parser's location is the statement's first token: comments before it sit after the previous one
    const start = s.stmt_location ?? 0;
    const end = s.stmt_len ? start + s.stmt_len : sql.length;
    const lead = sql.slice(previousEnd, start);
    previousEnd = end;
    const [kind, node] = Object.entries(s.stmt)[0] as [string, PgNode];
    return { kind, node, text: sql.slice(start, end).trim().replace(/;$/, '').trim(), start, end, lead };
  });
}
