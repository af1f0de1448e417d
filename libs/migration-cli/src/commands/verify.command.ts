import { readFileSync } from 'node:fs';
import { basename, extname, relative, resolve } from 'node:path';
import {
  ConfigError,
  describeDifference,
  MigrationFailedError,
  openClient,
  schemaDifferences,
  snapshotSchema,
  type DatabaseTarget,
  type MigrationEngine,
  type RunSummary,
  type SchemaDifference,
  type SchemaSnapshot,
  type ScratchServer,
} from '@zdm/migrator';
import type { ResolvedApp } from '../config/load-config';
import type { CommandContext } from '../context';
import { overFleetQuietly, type FleetFlags } from '../fleet/fleet-command';
import { ScratchTargets, openScratchServer } from '../scratch-run';
import { changedSince } from './lint.command';
import { escapeData, escapeProperty, git } from './lint-report';

import { VERIFY_FORMATS } from './choices';

export { VERIFY_FORMATS };

export interface VerifyOptions extends FleetFlags {
  scratchUrl?: string;
  since?: string;
  all?: boolean;
  format?: string;
}

/** The step of up → down → up that went wrong. */
export type VerifyStep = 'up' | 'down' | 'up again' | 'prepare';

export interface VerifiedMigration {
  app: string;
  migration: string;
  /** Relative to the repository root when inside it, so annotations land on the diff. */
  file: string;
  status: 'ok' | 'failed' | 'skipped';
  step?: VerifyStep;
  /** The error the step raised (a failed statement's message, SQLSTATE included). */
  error?: string;
  statement?: string;
  /** The first object down() did not restore, and how many differ in all. */
  difference?: SchemaDifference & { count: number };
  /** The line of the file the failure points at (the statement, else `down(`). */
  line?: number;
  message?: string;
}

const HISTORY_TABLES = ['migrations', 'mikro_orm_migrations'];
const nameOf = (file: string) => basename(file, extname(file));

/** The migrations to check per app: the files given, those changed since a ref, all, or else those pending (or changed) on the target. */
async function chosenMigrations(ctx: CommandContext, apps: ResolvedApp[], paths: string[], options: VerifyOptions): Promise<Map<string, Set<string>>> {
  const chosen = new Map(apps.map((a) => [a.name, new Set<string>()]));
  const files = paths.map((p) => resolve(ctx.streams.cwd, p));
  if (options.since) files.push(...changedSince(options.since, ctx.streams.cwd, apps));
  for (const file of files) {
    const app = apps.find((a) => a.files.includes(file));
    if (!app) {
      if (paths.some((p) => resolve(ctx.streams.cwd, p) === file)) {
        throw new ConfigError(`${file}: no app of the config lists this migration (the apps are ${apps.map((a) => a.name).join(', ')}): verify checks an app's own migrations, in its order`);
      }
      continue;
    }
    chosen.get(app.name)!.add(nameOf(file));
  }
  if (paths.length || options.since) return chosen;
  if (options.all) {
    for (const app of apps) for (const f of app.files) chosen.get(app.name)!.add(nameOf(f));
    return chosen;
  }
  const engine = await ctx.engine(ctx.settings(), 'verify', undefined, apps);
  for (const status of await engine.status()) {
    for (const m of status.migrations) if (m.state === 'pending' || m.state === 'changed') chosen.get(status.app)!.add(m.name);
  }
  return chosen;
}

async function serverMajor(target: DatabaseTarget): Promise<number> {
  const client = await openClient(target, 'zdm-migrate verify');
  try {
    const { rows } = await client.query<{ num: string }>(`select current_setting('server_version_num') as num`);
    return Math.floor(Number(rows[0].num) / 10_000);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The line a failure points at: the failing statement's text in the source, else the down() method. */
function lineOf(file: string, statement: string | undefined): number {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return 1;
  }
  const lines = source.split('\n');
  if (statement) {
    const head = statement.trim().replace(/\s+/g, ' ').slice(0, 40);
    const at = lines.findIndex((l) => l.replace(/\\(.)/g, '$1').replace(/\s+/g, ' ').includes(head));
    if (at >= 0) return at + 1;
  }
  const down = lines.findIndex((l) => /\b(async\s+)?down\s*\(/.test(l));
  return down >= 0 ? down + 1 : 1;
}

const failureOf = (summary: RunSummary): { error: string; statement?: string } | undefined => {
  if (summary.status === 'ok') return undefined;
  const error = summary.error;
  return { error: error?.message ?? summary.status, statement: error instanceof MigrationFailedError ? error.statement : undefined };
};

/**
 * One app's check on scratch databases of our own: for each chosen migration, the database is
 * brought to the state before it, then up, down (its schema compared with the one before up),
 * and up again. A step that fails leaves the scratch state unknown: it is built again from empty.
 */
async function verifyApp(ctx: CommandContext, server: ScratchServer, app: ResolvedApp, chosen: Set<string>, display: (file: string) => string): Promise<VerifiedMigration[]> {
  const results: VerifiedMigration[] = [];
  const historyTables = [...HISTORY_TABLES, ...(app.historyTable ? [app.historyTable.split('.').pop()!] : [])];
  let scratch = await ScratchTargets.create(ctx, server, [app]);
  const engine = (): MigrationEngine => scratch.engine('verify');
  const snapshot = async (): Promise<SchemaSnapshot> => {
    const client = await openClient(scratch.targetOf(app.name), 'zdm-migrate verify');
    try {
      return await snapshotSchema(client, historyTables);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  try {
    const [status] = await engine().status();
    const ordered = status.migrations.filter((m) => m.state !== 'missing').map((m) => m.name);
    const fileOf = (name: string) => app.files.find((f) => nameOf(f) === name) ?? name;
    let appliedUpTo = -1;
    let broken: string | undefined;
    for (const [index, name] of ordered.entries()) {
      if (!chosen.has(name)) continue;
      const file = fileOf(name);
      const result: VerifiedMigration = { app: app.name, migration: name, file: display(file), status: 'ok' };
      results.push(result);
      if (broken) {
        Object.assign(result, { status: 'skipped', message: `not checked: ${broken} could not be applied on an empty database` });
        continue;
      }
      const fail = (step: VerifyStep, failure: { error: string; statement?: string }, message: string) =>
        Object.assign(result, { status: 'failed', step, error: failure.error, statement: failure.statement, line: lineOf(file, failure.statement), message });
      if (index > 0 && appliedUpTo !== index - 1) {
        const prepared = failureOf(await engine().up({ unsafeOk: true, to: ordered[index - 1], revertOnFailure: false }));
        if (prepared) {
          broken = ordered[index - 1];
          fail('prepare', prepared, `the migrations before it do not apply on an empty database: ${prepared.error}`);
          continue;
        }
      }
      const before = await snapshot();
      const up = failureOf(await engine().up({ unsafeOk: true, to: name, revertOnFailure: false }));
      if (up) {
        broken = name;
        fail('up', up, `up() failed: ${up.error}`);
        continue;
      }
      appliedUpTo = index;
      const afterUp = await snapshot();
      const down = failureOf(await engine().down({ app: app.name, step: 1 }));
      let rebuild = false;
      if (down) {
        fail('down', down, `down() failed: ${down.error}`);
        rebuild = true;
      } else {
        const differences = schemaDifferences(before, await snapshot());
        if (differences.length) {
          const more = differences.length > 1 ? ` (and ${differences.length - 1} more difference(s))` : '';
          Object.assign(result, { status: 'failed', step: 'down', difference: { ...differences[0], count: differences.length }, line: lineOf(file, undefined), message: `down() does not restore the schema: ${describeDifference(differences[0])}${more}` });
        }
        const again = failureOf(await engine().up({ unsafeOk: true, to: name, revertOnFailure: false }));
        if (again) {
          if (result.status === 'ok') fail('up again', again, `up() after down() failed: ${again.error}`);
          rebuild = true;
        } else if (result.status === 'ok') {
          const differences = schemaDifferences(afterUp, await snapshot());
          if (differences.length) {
            Object.assign(result, { status: 'failed', step: 'up again', difference: { ...differences[0], count: differences.length }, line: lineOf(file, undefined), message: `up() after down() builds a different schema than the first up(): ${describeDifference(differences[0]).replace('after down', 'after the second up').replace('before up', 'after the first up')}` });
          }
        }
      }
      if (rebuild) {
        await scratch.drop();
        scratch = await ScratchTargets.create(ctx, server, [app]);
        appliedUpTo = -1;
        const rebuilt = failureOf(await engine().up({ unsafeOk: true, to: name, revertOnFailure: false }));
        if (rebuilt) broken = name;
        else appliedUpTo = index;
      }
    }
  } finally {
    await scratch.drop();
  }
  return results;
}

/**
 * The reversibility check: on scratch databases of our own (never the target, which is only
 * read), each chosen migration goes up, down and up again; the schema after down must be the one
 * before up. Exit 1 when a down() fails or does not restore it.
 */
export async function verifyCommand(ctx: CommandContext, paths: string[], options: VerifyOptions): Promise<number> {
  const format = options.format ?? (ctx.out.json ? 'json' : 'text');
  if (!(VERIFY_FORMATS as readonly string[]).includes(format)) throw new ConfigError(`--format ${format}: expected one of ${VERIFY_FORMATS.join(', ')}`);
  if (options.all && (paths.length || options.since)) throw new ConfigError('verify takes files, --since or --all, one of them');
  if (!paths.length && !options.since && !options.all) {
    // over a fleet, what is pending differs by target: each target's, one after another (they share
    // the scratch server)
    const fleet = await overFleetQuietly(ctx, { ...options, parallel: 1 }, (target) => verifyCommand(target, paths, options), (code) => code !== 0);
    if (fleet) {
      if (format === 'text') ctx.out.result(fleet.failed.length ? `${fleet.failed.length} of ${fleet.targets.length} target(s) failed verify: ${fleet.failed.map((f) => f.target).join(', ')}` : `all ${fleet.targets.length} target(s) verified`);
      return fleet.failed.length ? 1 : 0;
    }
  }
  const apps = ctx.apps();
  const chosen = await chosenMigrations(ctx, apps, paths, options);
  const { out } = ctx;
  const root = git(['rev-parse', '--show-toplevel'], ctx.streams.cwd)?.trim();
  const display = (file: string) => (root && !relative(root, file).startsWith('..') ? relative(root, file) : relative(ctx.streams.cwd, file));
  const results: VerifiedMigration[] = [];
  const notes: string[] = [];
  if ([...chosen.values()].some((s) => s.size)) {
    const server = await openScratchServer(ctx, options.scratchUrl);
    try {
      const connections = await ctx.connect(apps);
      const majors = new Set<number>();
      for (const { target } of connections) majors.add(await serverMajor(target).catch(() => server.major));
      for (const major of majors) {
        const note = server.differsFrom(major);
        if (note) notes.push(note);
      }
      for (const note of notes) out.warn(note);
      for (const app of apps) {
        if (!chosen.get(app.name)!.size) continue;
        out.log(`verify ${app.name}: ${chosen.get(app.name)!.size} migration(s), up, down and up again on scratch database(s) of ${server.source === 'embedded' ? 'the embedded server' : '--scratch-url'}`);
        results.push(...(await verifyApp(ctx, server, app, chosen.get(app.name)!, display)));
      }
    } finally {
      await server.close();
    }
  }
  const failed = results.filter((r) => r.status !== 'ok');
  switch (format) {
    case 'json':
      out.document({ ok: failed.length === 0, notes, migrations: results });
      break;
    case 'github':
      for (const r of failed) {
        out.result(`::error file=${escapeProperty(r.file)},line=${r.line ?? 1},title=${escapeProperty(`verify ${r.migration}`)}::${escapeData(r.message ?? '')}`);
      }
      out.result(`verify: ${results.length - failed.length} of ${results.length} migration(s) reversible`);
      break;
    default:
      if (!results.length) {
        const why = options.since ? `no migration file changed since ${options.since}` : paths.length ? 'no migration in the files given' : 'no migration pending on the target; pass files, --since <ref> or --all';
        out.result(`verify: nothing to check (${why})`);
      }
      for (const r of results) {
        if (r.status === 'ok') out.result(`ok    ${r.app}/${r.migration}: up, down, up; down restores the schema`);
        else out.result(`${r.status === 'skipped' ? 'skip' : 'FAIL'}  ${r.app}/${r.migration} (${r.file}:${r.line ?? 1}): ${r.message}${r.statement ? `\n      statement: ${r.statement.trim().replace(/\s+/g, ' ')}` : ''}`);
      }
      if (results.length) out.result(`${results.length - failed.length} of ${results.length} migration(s) reversible`);
  }
  return failed.length ? 1 : 0;
}
