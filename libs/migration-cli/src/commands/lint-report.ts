import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { mustRunOutsideTransaction, parseStatements, RULES, type Finding } from '@zdm/migration-lint';
import type { LintConfig } from '../config/define-config';

// What `lint` prints and how it reads a .sql file: shared by the lint command and the quick path
// for .sql files (sql-lint.ts), so this module loads no engine, no ORM and no logger.

import type { Format } from './lint-formats';

export { LINT_FORMATS, type Format } from './lint-formats';

/** A finding as `lint` reports it: where it is (a file relative to the repository root) and which app. */
export interface ReportedFinding extends Finding {
  app?: string;
  /** Over a fleet: the targets where the pending migration draws this finding. */
  targets?: string[];
}

interface LintPackage {
  repository?: string | { url?: string; directory?: string };
}

/** `github:o/r`, `o/r`, `git+https://github.com/o/r.git` and the like as a browsable https URL. */
export function repositoryUrl(repository: LintPackage['repository']): { url: string; directory: string } | undefined {
  const raw = typeof repository === 'string' ? repository : repository?.url;
  if (!raw) return undefined;
  const directory = typeof repository === 'object' ? (repository.directory ?? '') : '';
  const shorthand = /^(?:github:)?([\w.-]+\/[\w.-]+)$/.exec(raw);
  const url = shorthand ? `https://github.com/${shorthand[1]}` : raw.replace(/^git\+/, '').replace(/^git:\/\//, 'https://').replace(/^ssh:\/\/git@/, 'https://').replace(/\.git$/, '');
  return /^https?:\/\//.test(url) ? { url: url.replace(/\/$/, ''), directory } : undefined;
}

/**
 * Each rule's page (the problem and the safe way), shipped with the lint package: a link into the
 * repository when the package names one, otherwise the file's path from where lint ran.
 */
function docsLink(rule: string, cwd: string): string {
  const manifest = require.resolve('@zdm/migration-lint/package.json');
  const repository = repositoryUrl((JSON.parse(readFileSync(manifest, 'utf8')) as LintPackage).repository);
  const page = `docs/rules/${rule}.md`;
  if (repository) return `${repository.url}/blob/HEAD/${[repository.directory, page].filter(Boolean).join('/')}`;
  return relative(cwd, join(dirname(manifest), page));
}

const counted = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "3 findings in 2 files: 1 error, 2 warnings", or "no findings in 2 files". */
export function countLine(findings: Finding[], what: string): string {
  if (!findings.length) return `no findings in ${what}`;
  const by = (severity: Finding['severity']) => findings.filter((f) => f.severity === severity).length;
  const parts = [counted(by('error'), 'error'), counted(by('warning'), 'warning'), ...(by('info') ? [counted(by('info'), 'note')] : [])];
  return `${counted(findings.length, 'finding')} in ${what}: ${parts.join(', ')}`;
}

export function git(args: string[], cwd: string): string | undefined {
  // loaded here: a lint that starts no git loads no child_process
  const { execFileSync } = process.getBuiltinModule('node:child_process') as typeof import('node:child_process');
  try {
    return execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }).toString();
  } catch {
    return undefined;
  }
}

/** What moves git's search for the repository elsewhere: with one of them set, git itself answers. */
const GIT_DISCOVERY = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_CEILING_DIRECTORIES', 'GIT_DISCOVERY_ACROSS_FILESYSTEM'];

/** A `.git` git takes for a repository: a folder with a HEAD, or the `gitdir:` file of a worktree or submodule. */
function repositoryMarker(dir: string): { uid: number } | undefined {
  const marker = join(dir, '.git');
  try {
    const stat = statSync(marker);
    if (stat.isDirectory()) return statSync(join(marker, 'HEAD')).isFile() ? stat : undefined;
    return stat.isFile() && readFileSync(marker, 'utf8').startsWith('gitdir:') ? stat : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The repository's top folder, as `git rev-parse --show-toplevel` prints it (a real path), found
 * without starting git: the nearest folder from `cwd` upward that holds a `.git`. git runs when
 * its environment moves the search, or when the repository belongs to another user (git may
 * refuse it as unsafe, and then there is no root).
 */
export function repositoryRoot(cwd: string): string | undefined {
  // the environment git would see: its child inherits this process's
  if (GIT_DISCOVERY.some((name) => process.env[name] !== undefined)) return git(['rev-parse', '--show-toplevel'], cwd)?.trim();
  let dir: string;
  try {
    dir = realpathSync(cwd);
  } catch {
    return undefined;
  }
  for (; ; dir = dirname(dir)) {
    const marker = repositoryMarker(dir);
    if (marker) return process.getuid && marker.uid !== process.getuid() ? git(['rev-parse', '--show-toplevel'], cwd)?.trim() : dir;
    if (dirname(dir) === dir) return undefined;
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
  const root = repositoryRoot(cwd);
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
        const where = f.targets ? `\n  on ${f.targets.length} target(s): ${f.targets.join(', ')}` : '';
        out.result(`${f.file ?? f.migration}:${f.line ?? 1}: ${f.severity} ${f.rule}: ${f.message}\n  fix: ${f.fix}\n  ${f.statement}${where}\n  see ${docsLink(f.rule, cwd)}`);
      }
      out.result(countLine(findings, what));
  }
  return errors ? 5 : 0;
}
