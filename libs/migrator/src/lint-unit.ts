import type { LintUnit, RuleLevel } from '@zdm/migration-lint';
import type { PlannedMigration } from './engine';

/** The linter's settings: rule levels, and a server major to judge by instead of the connected one. */
export interface LintSettings {
  rules?: Record<string, RuleLevel>;
  pgVersion?: number;
}

/** What the linter reads of a planned migration: the statements it writes, and how it runs. */
export function lintUnitOf(m: PlannedMigration, serverVersion: number, lint: LintSettings = {}): LintUnit {
  return {
    statements: m.statements.filter((s) => s.kind === 'write').map((s) => s.sql),
    context: { migration: m.name, file: m.file, transactional: m.transactional, pgVersion: lint.pgVersion ?? serverVersion, rules: lint.rules, catalog: m.catalog },
  };
}
