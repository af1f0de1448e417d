import { existsSync, readFileSync } from 'node:fs';
import { extname, isAbsolute, resolve, sep } from 'node:path';
import { ConfigError, lintUnitOf } from '@zdm/migrator';
import { lintRun, placeInSource, type LintUnit } from '@zdm/migration-lint';
import type { ResolvedApp } from '../config/load-config';
import type { CommandContext } from '../context';
import { overFleetQuietly, type FleetFlags } from '../fleet/fleet-command';
import { planWithFindings } from './plan.command';
import { git, LINT_FORMATS, reportFindings, sqlUnit, type Format, type ReportedFinding } from './lint-report';

export { LINT_FORMATS, type ReportedFinding } from './lint-report';

const pendingCount = (n: number) => `${n} pending migration${n === 1 ? '' : 's'}`;

export interface LintOptions extends FleetFlags {
  format?: string;
  since?: string;
}

/** Migration files added or changed on this branch since it left `ref` (a three-dot diff). */
export function changedSince(ref: string, cwd: string, apps: ResolvedApp[]): string[] {
  const root = git(['rev-parse', '--show-toplevel'], cwd)?.trim();
  if (!root) throw new ConfigError(`--since ${ref}: ${cwd} is not inside a git repository`);
  const diff = git(['diff', '--name-only', '--diff-filter=AMR', `${ref}...HEAD`], root);
  if (diff === undefined) throw new ConfigError(`--since ${ref}: git cannot compare with "${ref}" (fetch it first, e.g. actions/checkout with fetch-depth: 0)`);
  const migrationFiles = new Set(apps.flatMap((a) => a.files));
  return diff
    .split('\n')
    .filter(Boolean)
    .map((f) => resolve(root, f))
    .filter((f) => existsSync(f) && (migrationFiles.has(f) || (extname(f) === '.sql' && f.split(sep).includes('migrations'))));
}

/** The ORM a migration file is written for, from its imports, for a file no configured app lists. */
function ormOfFile(file: string): ResolvedApp['orm'] {
  const source = readFileSync(file, 'utf8');
  if (/from\s+['"]@mikro-orm\/|require\(['"]@mikro-orm\//.test(source)) return 'mikro-orm';
  if (/from\s+['"]typeorm['"/]|require\(['"]typeorm/.test(source)) return 'typeorm';
  throw new ConfigError(`${file}: no app of the config lists it, and it imports neither typeorm nor @mikro-orm: add it to an app's migrations, or pass a .sql file`);
}

/** Lints the files given by path, as one run in the order given. */
async function lintPaths(ctx: CommandContext, files: string[]): Promise<ReportedFinding[]> {
  const sqlUnits = new Map<string, Awaited<ReturnType<typeof sqlUnit>>>();
  const byApp = new Map<string, ResolvedApp>();
  for (const file of files) {
    if (extname(file) === '.sql') {
      sqlUnits.set(file, await sqlUnit(file, ctx.config.lint));
      continue;
    }
    const owner = ctx.config.apps.find((a) => a.files.includes(file));
    const app: ResolvedApp = owner ?? { name: `file:${ormOfFile(file)}`, orm: ormOfFile(file), files: [], backfillFiles: [], naming: 'orm' };
    const subset = byApp.get(app.name) ?? { ...app, files: [] };
    subset.files.push(file);
    byApp.set(app.name, subset);
  }
  const planned = new Map<string, { app: string; unit: LintUnit }>();
  if (byApp.size) {
    const engine = await ctx.engine(ctx.settings(), 'lint', undefined, [...byApp.values()]);
    for (const plan of await engine.planFiles()) {
      for (const m of plan.migrations) {
        planned.set(m.file, { app: plan.app.startsWith('file:') ? '' : plan.app, unit: lintUnitOf(m, plan.serverVersion, ctx.config.lint) });
      }
    }
  }
  const units = files.map((f) => sqlUnits.get(f) ?? planned.get(f)?.unit).filter((u) => u !== undefined);
  return placeInSource(await lintRun(units)).map((f) => ({ ...f, app: planned.get(f.file!)?.app || undefined }));
}

/**
 * The pending migrations of every target of a fleet. One release's migrations draw the same
 * findings on most targets: each finding is reported once, with the targets it holds on (a
 * target's live catalog can make a difference, e.g. a check validated there already).
 */
async function lintFleet(ctx: CommandContext, options: LintOptions): Promise<{ findings: ReportedFinding[]; what: string } | undefined> {
  const fleet = await overFleetQuietly(ctx, options, (target) => planWithFindings(target, undefined, true));
  if (!fleet) return undefined;
  if (fleet.failed.length) throw new ConfigError(`lint over the fleet: ${fleet.failed.map((f) => `${f.target}: ${f.error}`).join('; ')}`);
  const byKey = new Map<string, ReportedFinding>();
  let pending = 0;
  for (const { target, value: plans } of fleet.results) {
    for (const plan of plans) {
      pending += plan.migrations.length;
      for (const f of plan.findings) {
        const key = JSON.stringify([plan.app, f.file, f.line, f.rule, f.message]);
        const seen = byKey.get(key) ?? { ...f, app: plan.app, targets: [] };
        seen.targets!.push(target.target!);
        byKey.set(key, seen);
      }
    }
  }
  return { findings: [...byKey.values()], what: `${pendingCount(pending)} over ${fleet.targets.length} target(s)` };
}

/**
 * Lints the SQL migrations emit: the files given (TypeScript or compiled migrations of either ORM,
 * by the SQL they really emit; plain .sql files), those changed since a git ref, or else the
 * pending ones. Exit 5 when a finding is an error.
 */
export async function lintCommand(ctx: CommandContext, paths: string[], options: LintOptions): Promise<number> {
  const format = (options.format ?? (ctx.out.json ? 'json' : 'text')) as Format;
  if (!LINT_FORMATS.includes(format)) throw new ConfigError(`--format ${format}: use ${LINT_FORMATS.join(', ')}`);
  const cwd = ctx.streams.cwd;
  const files = paths.map((p) => (isAbsolute(p) ? p : resolve(cwd, p)));
  for (const file of files) if (!existsSync(file)) throw new ConfigError(`lint: ${file} does not exist`);
  if (options.since) files.push(...changedSince(options.since, cwd, ctx.apps()).filter((f) => !files.includes(f)));
  let findings: ReportedFinding[];
  let what: string;
  if (files.length) {
    findings = await lintPaths(ctx, files);
    what = `${files.length} file${files.length === 1 ? '' : 's'}`;
  } else if (options.since) {
    findings = [];
    what = `the migration files changed since ${options.since} (none)`;
  } else {
    const fleet = await lintFleet(ctx, options);
    if (fleet) {
      ({ findings, what } = fleet);
    } else {
      const plans = await planWithFindings(ctx, undefined, true);
      findings = plans.flatMap((p) => p.findings.map((f) => ({ ...f, app: p.app })));
      what = pendingCount(plans.reduce((n, p) => n + p.migrations.length, 0));
    }
  }
  return reportFindings(findings, format, what, cwd, ctx.out);
}
