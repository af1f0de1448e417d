import { formatDuration } from '@zdm/db';
import type { AppStatus, MigrationState } from '@zdm/migrator';
import { colorEnabled, palette } from '@zdm/observability/logging';
import type { CommandContext } from '../context';
import { overFleetQuietly, type FleetFlags } from '../fleet/fleet-command';
import { formatTable, formatWhen, type Cell } from '../reporters/table';

export interface StatusOptions extends FleetFlags {
  exitCode?: boolean;
  strict?: boolean;
}

const NOTES: Partial<Record<MigrationState, string>> = {
  changed: 'the file differs from what was applied',
  missing: 'applied, but no file of this release has it (a newer release ran, or the file was deleted)',
};

interface StatusReport {
  apps: AppStatus[];
  unready: { app: string; migration: string; state: MigrationState }[];
}

async function readStatus(ctx: CommandContext, options: StatusOptions): Promise<StatusReport> {
  const engine = await ctx.engine(ctx.settings(), 'status', undefined);
  const apps = await engine.status();
  const unreadyStates: MigrationState[] = options.strict ? ['pending', 'changed', 'missing'] : ['pending', 'changed'];
  const unready = apps.flatMap((a) => a.migrations.filter((m) => unreadyStates.includes(m.state)).map((m) => ({ app: a.app, migration: m.name, state: m.state })));
  return { apps, unready };
}

/** An app's entry in `status --json` (with its target over a fleet). */
function appEntry(a: AppStatus, target?: string) {
  return {
    ...(target === undefined ? {} : { target }),
    app: a.app,
    orm: a.orm,
    database: a.database,
    migrations: a.migrations.map(({ name, state, appliedAt, durationMs, transactional, partial, lastError }) => ({
      name,
      state,
      appliedAt,
      durationMs,
      transactional,
      ...(partial ? { partial, lastError } : {}),
    })),
  };
}

/** The status table: one for every app (a header row under each app's name), so the columns line up from one app to the next. */
function printStatusText(ctx: CommandContext, out: CommandContext['out'], apps: AppStatus[]): void {
  const colors = palette(colorEnabled(ctx.env, Boolean((ctx.streams.stdout as NodeJS.WriteStream).isTTY)));
  const paint: Record<MigrationState, (text: string) => string> = { applied: colors.green, pending: colors.yellow, changed: colors.red, missing: colors.red };
  const now = new Date();
  const rows: Cell[][] = [['STATE', 'MIGRATION', 'APPLIED', 'TOOK', 'NOTE']];
  for (const app of apps) {
    for (const m of app.migrations) {
      const note = m.partial ? `partial, last error: ${m.lastError ?? 'unknown'}` : (NOTES[m.state] ?? '');
      rows.push([{ text: m.state, paint: paint[m.state] }, m.name, m.appliedAt ? formatWhen(new Date(m.appliedAt), now) : '', m.durationMs !== null ? formatDuration(m.durationMs) : '', note]);
    }
  }
  const [header, ...lines] = formatTable(rows, { indent: '  ', right: [3] });
  for (const app of apps) {
    out.result(colors.bold(`${app.app} (${app.orm}) ${app.database}`));
    if (!app.migrations.length) out.result('  no migrations');
    else out.result(header);
    for (const line of lines.splice(0, app.migrations.length)) out.result(line);
  }
}

/**
 * Every migration of every selected app: applied, pending, changed or missing. With --exit-code,
 * exit 6 while this release's own migrations are pending or changed (readiness, CI gates);
 * `missing` ones (a newer release's, in a rolling deploy) count only with --strict. Over a fleet,
 * every target's, each app entry with its `target`; exit 6 if any target is behind.
 */
export async function statusCommand(ctx: CommandContext, options: StatusOptions): Promise<number> {
  const { out } = ctx;
  const fleet = await overFleetQuietly(ctx, options, (target) => readStatus(target, options));
  if (fleet) {
    const unready = fleet.results.flatMap(({ target: t, value }) => value.unready.map((u) => ({ target: t.target, ...u })));
    if (out.json) {
      out.document({
        ready: unready.length === 0 && fleet.failed.length === 0,
        unready,
        apps: fleet.results.flatMap(({ target: t, value }) => value.apps.map((a) => appEntry(a, t.target))),
        ...(fleet.failed.length ? { failed: fleet.failed } : {}),
      });
    } else {
      for (const { target: t, value } of fleet.results) printStatusText(ctx, t.out, value.apps);
      const behind = [...new Set(unready.map((u) => u.target))];
      out.result(behind.length ? `${behind.length} of ${fleet.targets.length} target(s) behind: ${behind.join(', ')}` : `all ${fleet.targets.length} target(s) current`);
      for (const f of fleet.failed) out.result(`  unreadable ${f.target}: ${f.error}`);
    }
    if (fleet.failed.length) return 1;
    return options.exitCode && unready.length ? 6 : 0;
  }
  const { apps, unready } = await readStatus(ctx, options);
  if (out.json) out.document({ ready: unready.length === 0, unready, apps: apps.map((a) => appEntry(a)) });
  else printStatusText(ctx, out, apps);
  return options.exitCode && unready.length ? 6 : 0;
}
