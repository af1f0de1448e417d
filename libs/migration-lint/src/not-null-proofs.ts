import { parseStatements } from './parse';
import type { Constraint, RangeVar } from '@pgsql/types';
import { nodeOf, nodesOf, typedStatement } from './nodes';
import { alterCommands, constraintOf, sameRelation, type Statement } from './rule';

/** A table as the catalog names it. */
export interface CatalogTable {
  schema: string;
  table: string;
}

/** A CHECK or (18) NOT NULL constraint the live catalog holds: what it proves, and whether it is validated. */
export interface CatalogConstraint extends CatalogTable {
  name: string;
  /** The column the constraint proves holds no NULL, if it proves that. */
  notNullColumn?: string;
  validated: boolean;
}

/**
 * What the target's live catalog says about the tables a run sets NOT NULL on, read before the run:
 * columns that are NOT NULL already (SET NOT NULL is then a no-op) and their constraints.
 */
export interface NotNullCatalog {
  notNullColumns: (CatalogTable & { column: string })[];
  constraints: CatalogConstraint[];
}

interface KnownConstraint {
  relation: RangeVar | undefined;
  name: string;
  notNullColumn?: string;
}

/** Whether a constraint definition proves `column` has no NULL: CHECK (column IS NOT NULL), or (18) NOT NULL column. */
export function provesNotNullOf(constraint: Constraint | undefined): string | undefined {
  if (constraint?.contype === 'CONSTR_NOTNULL') {
    const keys = nodesOf(constraint.keys, 'String');
    return keys.length === 1 ? keys[0].sval : undefined;
  }
  if (constraint?.contype !== 'CONSTR_CHECK') return undefined;
  const test = nodeOf(constraint.raw_expr, 'NullTest');
  const fields = nodeOf(test?.arg, 'ColumnRef')?.fields;
  return test?.nulltesttype === 'IS_NOT_NULL' && fields?.length === 1 ? nodeOf(fields[0], 'String')?.sval : undefined;
}

/**
 * The column a catalog constraint proves holds no NULL, from its definition as
 * `pg_get_constraintdef` prints it (`CHECK ((utr IS NOT NULL)) NOT VALID`, `NOT NULL utr`), read by
 * the same parser and the same test as a migration's own ADD CONSTRAINT.
 */
export async function notNullColumnOfDefinition(definition: string): Promise<string | undefined> {
  try {
    const [parsed] = await parseStatements(`ALTER TABLE t ADD CONSTRAINT c ${definition}`);
    const [command] = parsed ? alterCommands(typedStatement(parsed.kind, parsed.node)) : [];
    return command && provesNotNullOf(constraintOf(command.cmd));
  } catch {
    return undefined;
  }
}

const relationOf = (t: CatalogTable): RangeVar => ({ schemaname: t.schema, relname: t.table });

/**
 * What is known, at a point of a run, to prove that a column holds no NULL: the live catalog as it
 * was before the run, then every statement of the run so far, across its migrations. SET NOT NULL
 * skips its scan when a validated constraint proves the column (or the column is NOT NULL already).
 */
export class NotNullProofs {
  private readonly proven: { relation: RangeVar | undefined; column: string }[] = [];
  private readonly constraints: KnownConstraint[] = [];
  /** Tables on which a constraint whose definition nobody showed was validated: the benefit of the doubt. */
  private readonly validatedUnseen: (RangeVar | undefined)[] = [];
  private readonly seeded = new Set<NotNullCatalog>();

  /** Adds what a catalog says, under what the run already did (the run's own statements come later than the catalog). */
  seed(catalog: NotNullCatalog | undefined): void {
    if (!catalog || this.seeded.has(catalog)) return;
    this.seeded.add(catalog);
    for (const c of catalog.notNullColumns) this.proven.push({ relation: relationOf(c), column: c.column });
    for (const c of catalog.constraints) {
      const relation = relationOf(c);
      if (this.definition(relation, c.name)) continue;
      this.constraints.push({ relation, name: c.name, notNullColumn: c.notNullColumn });
      if (c.validated && c.notNullColumn) this.proven.push({ relation, column: c.notNullColumn });
    }
  }

  proves(relation: RangeVar | undefined, column: string | undefined): boolean {
    return this.proven.some((p) => p.column === column && sameRelation(p.relation, relation)) || this.validatedUnseen.some((r) => sameRelation(r, relation));
  }

  /** Learns from a statement once the rules have judged it. */
  record(statement: Statement): void {
    for (const { subtype, cmd, relation } of alterCommands(statement)) {
      if (subtype === 'AT_SetNotNull' && cmd.name) this.proven.push({ relation, column: cmd.name });
      const constraint = subtype === 'AT_AddConstraint' ? constraintOf(cmd) : undefined;
      if (constraint) {
        const column = provesNotNullOf(constraint);
        if (constraint.conname) this.constraints.unshift({ relation, name: constraint.conname, notNullColumn: column });
        if (column && !constraint.skip_validation) this.proven.push({ relation, column });
      }
      if (subtype === 'AT_ValidateConstraint' && cmd.name) {
        const known = this.definition(relation, cmd.name);
        if (!known) this.validatedUnseen.push(relation);
        else if (known.notNullColumn) this.proven.push({ relation, column: known.notNullColumn });
      }
    }
  }

  private definition(relation: RangeVar | undefined, name: string): KnownConstraint | undefined {
    return this.constraints.find((c) => c.name === name && sameRelation(c.relation, relation));
  }
}
