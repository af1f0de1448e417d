import type { CommandContext } from '../context';
import { schemaDiff } from './schema-diff';

/** CI's "generate finds no changes": exit 4 when an app's entities and its database differ. */
export async function checkCommand(ctx: CommandContext): Promise<number> {
  const results = [];
  for (const app of ctx.apps()) results.push({ app: app.name, orm: app.orm, statements: (await schemaDiff(ctx, app)).up });
  const drift = results.filter((r) => r.statements.length);
  if (ctx.out.json) {
    ctx.out.document({ drift: drift.length > 0, apps: results });
  } else {
    for (const r of results) {
      if (!r.statements.length) ctx.out.result(`${r.app}: entities match the database`);
      else {
        ctx.out.result(`${r.app}: entities differ from the database; \`migrate generate <description> --app ${r.app}\` would write:\n${r.statements.map((s) => `  ${s};`).join('\n')}`);
        const drops = r.statements.filter((s) => /^drop table/i.test(s));
        if (r.orm === 'mikro-orm' && drops.length) {
          ctx.out.result(`  (MikroORM drops tables it has no entity for: if they belong to another app, list them in the app's schemaGenerator.skipTables)`);
        }
      }
    }
  }
  return drift.length ? 4 : 0;
}
