import { MigratorError } from './migrator.error';

/** One error-level lint finding on what `up` was about to run. */
export interface BlockingFinding {
  app: string;
  migration: string;
  file: string;
  rule: string;
  message: string;
  fix: string;
  statement: string;
}

/** `up` refused to run error-level lint findings. Exit 5. */
export class SafetyFindingsError extends MigratorError {
  readonly exitCode = 5;
  constructor(readonly findings: BlockingFinding[]) {
    super(
      `refused to run ${findings.length} error-level safety finding(s), nothing was run: ` +
        findings.map((f) => `${f.app}/${f.migration} ${f.rule}: ${f.message} (statement "${f.statement.replace(/\s+/g, ' ').slice(0, 120)}"; fix: ${f.fix})`).join('; ') +
        `. Make the change the safe way, or add \`-- zdm-lint-ignore <rule>: <reason>\` before the statement, or run with --unsafe-ok`,
    );
  }
}
