import { formatDuration } from '@zdm/db';
import type { MigrationState } from '@zdm/migrator';
import type { CommandContext } from '../context';

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
    const width = Math.max(0, ...apps.flatMap((a) => a.migrations.map((m) => m.name.length)));
    for (const app of apps) {
      out.result(`${app.app} (${app.orm}) ${app.database}`);
      if (!app.migrations.length) out.result('  no migrations');
      for (const m of app.migrations) {
        const when = m.appliedAt ? `  ${m.appliedAt}` : '';
        const took = m.durationMs !== null ? `  ${formatDuration(m.durationMs)}` : '';
        const note = m.partial ? `  partial, last error: ${m.lastError ?? 'unknown'}` : NOTES[m.state] ? `  ${NOTES[m.state]}` : '';
        out.result(`  ${m.state.padEnd(8)} ${m.name.padEnd(width)}${when}${took}${note}`.trimEnd());
      }
    }
  }
  return options.exitCode && unready.length ? 6 : 0;
}
