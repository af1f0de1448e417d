import { cutOutsideSecrets } from './cut';
import type { RangeVar } from '@pgsql/types';
import { alterCommands, type RuleLevel, type Severity, type Statement } from './rule';
import { NotNullProofs, type NotNullCatalog } from './not-null-proofs';
import { typedStatement } from './nodes';
import { parseStatements } from './parse';
import { ALL_RULES } from './rules';

export interface LintContext {
  /** The migration's name, e.g. 202401151000__chargebacks_add_utr_reported_at. */
  migration?: string;
  file?: string;
  /** Whether the migration runs inside one transaction. */
  transactional: boolean;
  /** Rule ids to skip for this migration. */
  ignore?: string[];
  /** The target server's major (default 18): the safe way differs by version. */
  pgVersion?: number;
  /** Levels the config sets per rule id (`lint.rules` in migrate.config): a severity, or `off`. */
  rules?: Record<string, RuleLevel>;
  /**
   * What the target's live catalog says about the tables the migration sets NOT NULL on, when a
   * database was asked (see `notNullTargets`); without it a constraint validated that no statement
   * shows gets the benefit of the doubt.
   */
  catalog?: NotNullCatalog;
}

/** A finding is data: which rule, where, what is wrong and the safe way. */
export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  fix: string;
  migration?: string;
  file?: string;
  /** 0-based position among the statements linted. */
  statementIndex: number;
  /** 1-based line in the SQL text, when known. */
  line?: number;
  statement: string;
}

export interface RuleInfo {
  id: string;
  severity: Severity;
  summary: string;
  /** The rule's page: the problem and the safe way. */
  docs: string;
}

export const RULES: RuleInfo[] = ALL_RULES.map((r) => ({ id: r.id, severity: r.severity, summary: r.summary, docs: `docs/rules/${r.id}.md` }));

/** The major the linter assumes when it knows no server: the embedded server's. */
export const DEFAULT_PG_VERSION = 18;

const IGNORE = /--[ \t]*zdm-lint-ignore[ \t]+([a-z0-9-]+(?:[ \t]*,[ \t]*[a-z0-9-]+)*)[ \t]*(?::[ \t]*(.*))?$/gm;

/** The statements of one SQL text, each with the ignore comments written just before it. */
async function parse(sql: string, firstIndex: number, lineOffset: number): Promise<Statement[]> {
  // lines counted on from the previous statement: counting from the top each time was quadratic
  // (a third of the time on a file of 1,000 statements)
  let line = lineOffset + 1;
  let counted = 0;
  return (await parseStatements(sql)).map((s, i) => {
    for (let at = sql.indexOf('\n', counted); at !== -1 && at < s.start; at = sql.indexOf('\n', at + 1)) line++;
    counted = Math.max(counted, s.start);
    return {
      ...typedStatement(s.kind, s.node),
      text: s.text,
      index: firstIndex + i,
      line,
      ignores: [...s.lead.matchAll(IGNORE)].map((m) => ({ rules: m[1].split(/\s*,\s*/), reason: (m[2] ?? '').trim() })),
    };
  });
}

/** One migration (or SQL file) of a run: its statements, in order; an element may hold several. */
export interface LintUnit {
  statements: string[];
  context: LintContext;
}

/** The statements of one migration, in order; an element may hold several. */
async function parseUnit(statements: string[]): Promise<Statement[]> {
  const parsed: Statement[] = [];
  let line = 0;
  for (const sql of statements) {
    try {
      parsed.push(...(await parse(sql, parsed.length, line)));
    } catch {
      // SQL the parser can't read is left to the server; the linter says nothing it can't back
    }
    line += sql.split('\n').length;
  }
  return parsed;
}

/**
 * The tables a migration sets NOT NULL on or validates a constraint of: what to ask the live
 * catalog about (`LintContext.catalog`) before linting it.
 */
export async function notNullTargets(unit: LintUnit): Promise<{ schema?: string; table: string }[]> {
  const targets = new Map<string, { schema?: string; table: string }>();
  for (const statement of await parseUnit(unit.statements)) {
    for (const { subtype, relation } of alterCommands(statement)) {
      if ((subtype !== 'AT_SetNotNull' && subtype !== 'AT_ValidateConstraint') || !relation?.relname) continue;
      targets.set(`${relation.schemaname ?? ''}.${relation.relname}`, { schema: relation.schemaname || undefined, table: relation.relname });
    }
  }
  return [...targets.values()];
}

/**
 * Lints the migrations of one run in order. State carries across them: a table created earlier in
 * the run is new and empty, so what would lock a live table blocks nobody there.
 */
export async function lintRun(units: LintUnit[]): Promise<Finding[]> {
  const created = new Set<string>();
  const notNull = new NotNullProofs();
  const findings: Finding[] = [];
  for (const { statements, context } of units) {
    const parsed = await parseUnit(statements);
    notNull.seed(context.catalog);
    for (const [position, statement] of parsed.entries()) {
      let earlier: Statement[] | undefined;
      const ruleContext = {
        // built only for the rules that ask, once per statement: most statements need no look back
        get earlier() {
          return (earlier ??= parsed.slice(0, position));
        },
        transactional: context.transactional,
        notNull,
        pgVersion: context.pgVersion ?? DEFAULT_PG_VERSION,
        isNewTable: (relation: RangeVar | undefined) => Boolean(relation?.relname && (created.has(relation.relname) || created.has(`${relation.schemaname}.${relation.relname}`))),
      };
      const skipped = new Set([...(context.ignore ?? []), ...statement.ignores.filter((i) => i.reason).flatMap((i) => i.rules)]);
      for (const rule of ALL_RULES) {
        const level = context.rules?.[rule.id] ?? rule.severity;
        if (skipped.has(rule.id) || level === 'off') continue;
        for (const hit of rule.check(statement, ruleContext)) {
          findings.push({
            rule: rule.id,
            severity: level,
            ...hit,
            migration: context.migration,
            file: context.file,
            statementIndex: statement.index,
            line: statement.line,
            statement: cutOutsideSecrets(statement.text, 300),
          });
        }
      }
      notNull.record(statement);
      if (statement.kind === 'CreateStmt' || statement.kind === 'CreateTableAsStmt') {
        const relation = statement.kind === 'CreateStmt' ? statement.node.relation : statement.node.into?.rel;
        if (relation?.relname) {
          created.add(relation.relname);
          if (relation.schemaname) created.add(`${relation.schemaname}.${relation.relname}`);
        }
      }
    }
  }
  return findings;
}

/** Lints the statements of one migration, in order; an element may hold several statements. */
export function lintStatements(statements: string[], context: LintContext): Promise<Finding[]> {
  return lintRun([{ statements, context }]);
}

/** One SQL text (a .sql file or a script). */
export function lintSql(sql: string, context: LintContext): Promise<Finding[]> {
  return lintStatements([sql], context);
}
