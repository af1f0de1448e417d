import type { AlterTableCmd, AlterTableType, ColumnDef, Constraint, RangeVar } from '@pgsql/types';
import { nodeOf, nodesOf, type StatementNode } from './nodes';

export type Severity = 'error' | 'warning' | 'info';

/** A rule's level as a config sets it: a severity, or `off`. */
export type RuleLevel = Severity | 'off';

/** One statement as the rules see it: `kind`, the node type (`IndexStmt`, ...), narrows `node`. */
export type Statement = StatementNode & {
  text: string;
  index: number;
  line?: number;
  /** `-- zdm-lint-ignore <rule>[, <rule>]: <reason>` comments just before the statement. */
  ignores: { rules: string[]; reason: string }[];
};

export interface RuleContext {
  transactional: boolean;
  /** The target server's major. */
  pgVersion: number;
  /** Tables created earlier in the same migration: a new, empty table blocks nobody. */
  isNewTable(relation: RangeVar | undefined): boolean;
  /**
   * The statements before this one in the same migration, in order (reset for each migration of a
   * run): what a rule needs to judge a statement by what the migration did before it.
   */
  readonly earlier: readonly Statement[];
  /** What proves a column holds no NULL at this point of the run: earlier statements of the run, and the live catalog when asked. */
  readonly notNull: { proves(relation: RangeVar | undefined, column: string | undefined): boolean };
}

/** Whether two RangeVars name the same table (a schema on one side only still matches). */
export function sameRelation(a: RangeVar | undefined, b: RangeVar | undefined): boolean {
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
export function relationName(relation: RangeVar | undefined): string {
  if (!relation) return '?';
  return relation.schemaname ? `${relation.schemaname}.${relation.relname}` : relation.relname ?? '?';
}

/** One ALTER TABLE subcommand with its table. */
export interface AlterCommand {
  subtype: AlterTableType | undefined;
  cmd: AlterTableCmd;
  relation: RangeVar | undefined;
}

/** The ALTER TABLE subcommands of a statement, with their table. */
export function alterCommands(statement: StatementNode): readonly AlterCommand[] {
  if (statement.kind !== 'AlterTableStmt') return [];
  // rules that look back ask again for every later statement: read each tree once
  let commands: readonly AlterCommand[] | undefined = alterCommandsOf.get(statement.node);
  if (!commands) {
    const relation = statement.node.relation;
    commands = nodesOf(statement.node.cmds, 'AlterTableCmd').map((cmd) => ({ subtype: cmd.subtype, cmd, relation }));
    alterCommandsOf.set(statement.node, commands);
  }
  return commands;
}
const alterCommandsOf = new WeakMap<object, readonly AlterCommand[]>();

/** The column an ALTER TABLE subcommand defines (ADD COLUMN), if any. */
export function columnDefOf(cmd: AlterTableCmd): ColumnDef | undefined {
  return nodeOf(cmd.def, 'ColumnDef');
}

/** The constraint an ALTER TABLE subcommand adds (ADD CONSTRAINT), if any. */
export function constraintOf(cmd: AlterTableCmd): Constraint | undefined {
  return nodeOf(cmd.def, 'Constraint');
}

/** The constraints of a column definition. */
export function columnConstraints(columnDef: ColumnDef | undefined): Constraint[] {
  return nodesOf(columnDef?.constraints, 'Constraint');
}
