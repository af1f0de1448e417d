import { formatDuration } from '@zdm/db';
import type { CommandContext } from '../context';

/** Every migration of every selected app: applied, pending or changed. Exit 6 with --exit-code when something is pending. */
export async function statusCommand(ctx: CommandContext, options: { exitCode?: boolean }): Promise<number> {
  const engine = await ctx.engine(ctx.settings(), 'status', undefined);
  const apps = await engine.status();
  const { out } = ctx;
  if (out.json) {
    out.document({
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
        const note = m.partial ? `  partial, last error: ${m.lastError ?? 'unknown'}` : m.state === 'changed' ? '  the file differs from what was applied' : '';
        out.result(`  ${m.state.padEnd(8)} ${m.name.padEnd(width)}${when}${took}${note}`.trimEnd());
      }
    }
  }
  const pending = apps.some((a) => a.migrations.some((m) => m.state === 'pending'));
  return options.exitCode && pending ? 6 : 0;
}
