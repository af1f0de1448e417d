export type Severity = 'error' | 'warning' | 'info';

/** A rule's level as a config sets it: a severity, or `off`. */
export type RuleLevel = Severity | 'off';

// libpg-query's parse tree: plain JSON, one key per node type
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PgNode = any;

/** One statement as the rules see it. */
export interface Statement {
  /** The node type: `IndexStmt`, `AlterTableStmt`, ... */
  kind: string;
  node: PgNode;
  text: string;
  index: number;
  line?: number;
  /** `-- zdm-lint-ignore <rule>[, <rule>]: <reason>` comments just before the statement. */
  ignores: { rules: string[]; reason: string }[];
}

export interface RuleContext {
  transactional: boolean;
  /** The target server's major. */
  pgVersion: number;
  /** Tables created earlier in the same migration: a new, empty table blocks nobody. */
  isNewTable(relation: PgNode | undefined): boolean;
  /**
   * The statements before this one in the same migration, in order (reset for each migration of a
   * run): what a rule needs to judge a statement by what the migration did before it.
   */
  readonly earlier: readonly Statement[];
  /** What proves a column holds no NULL at this point of the run: earlier statements of the run, and the live catalog when asked. */
  readonly notNull: { proves(relation: PgNode, column: string): boolean };
}

/** Whether two RangeVars name the same table (a schema on one side only still matches). */
export function sameRelation(a: PgNode | undefined, b: PgNode | undefined): boolean {
  if (!a || !b || a.relname !== b.relname) return false;
  return !a.schemaname || !b.schemaname || a.schemaname === b.schemaname;
}

export interface RuleHit {
  message: string;
  fix: string;
}

export interface Rule {
  id: string;
  severity: Severity;
  summary: string;
  check(statement: Statement, context: RuleContext): RuleHit[];
}

/** `schema.table` or `table` of a RangeVar. */
export function relationName(relation: PgNode | undefined): string {
  if (!relation) return '?';
  return relation.schemaname ? `${relation.schemaname}.${relation.relname}` : relation.relname;
}

/** The ALTER TABLE subcommands of a statement, with their table. */
export function alterCommands(statement: Statement): { subtype: string; cmd: PgNode; relation: PgNode }[] {
  if (statement.kind !== 'AlterTableStmt') return [];
  const relation = statement.node.relation;
  return (statement.node.cmds ?? []).map((c: PgNode) => ({ subtype: c.AlterTableCmd.subtype, cmd: c.AlterTableCmd, relation }));
}

/** The constraints of a column definition, by type. */
export function columnConstraints(columnDef: PgNode): PgNode[] {
  return (columnDef?.constraints ?? []).map((c: PgNode) => c.Constraint);
}
