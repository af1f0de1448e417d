import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { mustRunOutsideTransaction, parseStatements, RULES, type Finding } from '@zdm/migration-lint';
import type { LintConfig } from '../config/define-config';

// What `lint` prints and how it reads a .sql file: shared by the lint command and the quick path
// for .sql files (sql-lint.ts), so this module loads no engine, no ORM and no logger.

export const LINT_FORMATS = ['text', 'json', 'github', 'sarif'] as const;
export type Format = (typeof LINT_FORMATS)[number];

/** A finding as `lint` reports it: where it is (a file relative to the repository root) and which app. */
export interface ReportedFinding extends Finding {
  app?: string;
}

/** Each rule's page (the problem and the safe way), shipped with the lint package. */
function docsPage(rule: string): string {
  return join(dirname(require.resolve('@zdm/migration-lint/package.json')), 'docs/rules', `${rule}.md`);
}

export function git(args: string[], cwd: string): string | undefined {
  try {
    return execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }).toString();
  } catch {
    return undefined;
  }
}

/** A plain .sql file: transactional unless it holds a statement PostgreSQL refuses in a transaction block. */
export async function sqlUnit(file: string, lint: LintConfig = {}) {
  const sql = readFileSync(file, 'utf8');
  let transactional = true;
  try {
    transactional = !(await parseStatements(sql)).some((s) => mustRunOutsideTransaction(s.kind, s.node));
  } catch {
    // the linter says nothing about SQL it can't parse
  }
  return { statements: [sql], context: { file, migration: file.split(sep).pop()!.replace(/\.sql$/, ''), transactional, pgVersion: lint.pgVersion, rules: lint.rules } };
}

/** `%`, CR, LF (and in properties `:` and `,`) escaped as GitHub's workflow commands want them. */
export const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
export const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

function sarif(findings: ReportedFinding[]) {
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'zdm-migrate lint',
            rules: RULES.map((r) => ({ id: r.id, shortDescription: { text: r.summary }, defaultConfiguration: { level: r.severity === 'error' ? 'error' : 'warning' } })),
          },
        },
        results: findings.map((f) => ({
          ruleId: f.rule,
          level: f.severity === 'info' ? 'note' : f.severity,
          message: { text: `${f.message} Fix: ${f.fix}` },
          locations: [{ physicalLocation: { artifactLocation: { uri: f.file }, region: { startLine: f.line ?? 1 } } }],
        })),
      },
    ],
  };
}

/** The lines or document `lint` prints for its findings; the exit code: 5 when one is an error. */
export function reportFindings(findings: ReportedFinding[], format: Format, what: string, cwd: string, out: { result(text: string): void; document(value: unknown): void }): number {
  // paths relative to the repository root, so GitHub puts annotations on the diff
  const root = git(['rev-parse', '--show-toplevel'], cwd)?.trim();
  for (const f of findings) {
    if (f.file && root && !relative(root, f.file).startsWith('..')) f.file = relative(root, f.file);
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  switch (format) {
    case 'json':
      out.document({ findings });
      break;
    case 'sarif':
      out.document(sarif(findings));
      break;
    case 'github':
      for (const f of findings) {
        out.result(`::${f.severity === 'info' ? 'notice' : f.severity} file=${escapeProperty(f.file ?? '')},line=${f.line ?? 1},title=${escapeProperty(f.rule)}::${escapeData(`${f.message} Fix: ${f.fix}`)}`);
      }
      break;
    default:
      for (const f of findings) {
        out.result(`${f.file ?? f.migration}:${f.line ?? 1}: ${f.severity} ${f.rule}: ${f.message}\n  fix: ${f.fix}\n  ${f.statement}\n  see ${relative(cwd, docsPage(f.rule))}`);
      }
      out.result(`${findings.length} finding(s) (${errors} error(s)) in ${what}`);
  }
  return errors ? 5 : 0;
}
