import { setFlagsFromString } from 'node:v8';
import type { ParseResult } from '@pgsql/types';
import { typedStatement, type StatementNode } from './nodes';

/** One statement of a SQL text: `kind`, the node type (`IndexStmt`, ...), narrows `node`. */
export type ParsedStatement = StatementNode & {
  /** The statement's own text, trimmed, without its semicolon. */
  text: string;
  /** Where it starts in the SQL (its first token) and ends. */
  start: number;
  end: number;
  /** What stands between the previous statement and this one: whitespace and comments. */
  lead: string;
};

interface PgParser {
  loadModule(): Promise<void>;
  parseSync(sql: string): ParseResult;
  scanSync(sql: string): { tokens: { start: number; end: number; text: string; tokenName: string }[] };
}

let parser: PgParser | undefined;

/**
 * The real PostgreSQL parser (libpg-query, WASM), loaded once on first use. Its code stays on V8's
 * baseline compiler (Liftoff): on a file of 1,000 statements, optimizing the parser's huge grammar
 * function took 0.6 s and 550 MiB on 2 cores, for parsing that ran slower meanwhile (100 ms against
 * 30 ms). The flags apply to WebAssembly compiled from here on, in this process.
 */
async function loadParser(): Promise<PgParser> {
  if (!parser) {
    setFlagsFromString('--no-wasm-tier-up --no-wasm-dynamic-tiering');
    const loaded = require('libpg-query') as PgParser;
    await loaded.loadModule();
    parser = loaded;
  }
  return parser;
}

/**
 * Where a qualified name that starts at `start` ends (`"billing"."chargebacks"`, `t`), by
 * PostgreSQL's own scanner: the name's tokens and the dots between them.
 */
export async function nameEnd(sql: string, start: number): Promise<number> {
  const { tokens } = (await loadParser()).scanSync(sql);
  let i = tokens.findIndex((t) => t.start === start);
  if (i < 0) throw new Error(`no token starts at ${start}`);
  let end = tokens[i].end;
  while (tokens[i + 1]?.text === '.' && tokens[i + 2]) {
    end = tokens[i + 2].end;
    i += 2;
  }
  return end;
}

type ParseTree = ReturnType<PgParser['parseSync']>;

/**
 * Trees of texts parsed lately. A .sql file is parsed once to tell whether it can run in a
 * transaction and then linted; a fleet's targets plan the same migrations, the same SQL, one
 * target after another; each repeat is this lookup. Bounded by the texts' total length, oldest out
 * first; a tree is read, never changed.
 */
const parsed = new Map<string, ParseTree>();
const CACHED_CHARS = 2_000_000;
let cachedChars = 0;

function parseTree(parser: PgParser, sql: string): ParseTree {
  const hit = parsed.get(sql);
  if (hit) {
    // most recent last: the Map's order is the eviction order
    parsed.delete(sql);
    parsed.set(sql, hit);
    return hit;
  }
  const tree = parser.parseSync(sql);
  if (sql.length > CACHED_CHARS) return tree;
  parsed.set(sql, tree);
  cachedChars += sql.length;
  for (const [oldest] of parsed) {
    if (cachedChars <= CACHED_CHARS) break;
    parsed.delete(oldest);
    cachedChars -= oldest.length;
  }
  return tree;
}

/** Splits SQL into statements with the real PostgreSQL parser. Throws on SQL the parser cannot read. */
export async function parseStatements(sql: string): Promise<ParsedStatement[]> {
  const { stmts = [] } = parseTree(await loadParser(), sql);
  let previousEnd = 0;
  return stmts.map((s) => {
    // the parser's location is the statement's first token: comments before it sit after the previous one
    const start = s.stmt_location ?? 0;
    const end = s.stmt_len ? start + s.stmt_len : sql.length;
    const lead = sql.slice(previousEnd, start);
    previousEnd = end;
    const [kind, node] = Object.entries(s.stmt ?? {})[0];
    return { ...typedStatement(kind, node), text: sql.slice(start, end).trim().replace(/;$/, '').trim(), start, end, lead };
  });
}
