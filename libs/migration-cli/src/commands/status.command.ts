import { formatDuration } from '@zdm/db';
import type { MigrationState } from '@zdm/migrator';
import { colorEnabled, palette } from '@zdm/observability';
import type { CommandContext } from '../context';
import { formatTable, formatWhen, type Cell } from '../reporters/table';

export interface StatusOptions {
  exitCode?: boolean;
  strict?: boolean;
}

const NOTES: Partial<Record<MigrationState, string>> = {
  changed: 'the file differs from what was applied',
  missing: 'applied, but no file of this release has it (a newer release ran, or the file was deleted)',
};

/**
 * Every migration of every selected app: applied, pending, changed or missing. With --exit-code,
 * exit 6 while this release's own migrations are pending or changed (readiness, CI gates);
 * `missing` ones (a newer release's, in a rolling deploy) count only with --strict.
 */
export async function statusCommand(ctx: CommandContext, options: StatusOptions): Promise<number> {
  const engine = await ctx.engine(ctx.settings(), 'status', undefined);
  const apps = await engine.status();
  const unreadyStates: MigrationState[] = options.strict ? ['pending', 'changed', 'missing'] : ['pending', 'changed'];
  const unready = apps.flatMap((a) => a.migrations.filter((m) => unreadyStates.includes(m.state)).map((m) => ({ app: a.app, migration: m.name, state: m.state })));
  const { out } = ctx;
  if (out.json) {
    out.document({
      ready: unready.length === 0,
      unready,
      apps: apps.map((a) => ({
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
      })),
    });
  } else {
    const colors = palette(colorEnabled(ctx.env, Boolean((ctx.streams.stdout as NodeJS.WriteStream).isTTY)));
    const paint: Record<MigrationState, (text: string) => string> = { applied: colors.green, pending: colors.yellow, changed: colors.red, missing: colors.red };
    const now = new Date();
    // one table for every app (a header row under each app's name), so the columns line up from one app to the next
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
  return options.exitCode && unready.length ? 6 : 0;
}
