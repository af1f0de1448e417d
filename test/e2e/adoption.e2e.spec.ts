import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { cleanEnv, ROOT, runMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';

const CORPUS = join(ROOT, 'test/fixtures/corpus');
const bin = (name: string) => join(ROOT, 'node_modules/.bin', name);

/** Everything a migration can leave behind, from the catalog, in a stable order (our own run log excluded). */
async function catalog(db: TestDatabase) {
  const q = async (sql: string) => (await db.query(sql)).map((r) => Object.values(r).join(' | '));
  return {
    columns: await q(`select table_name, column_name, data_type, coalesce(character_maximum_length::text, ''), is_nullable, coalesce(column_default, '') from information_schema.columns where table_schema = 'public' and table_name not like 'migration_%' order by 1, 2`),
    indexes: await q(`select indexname, indexdef from pg_indexes where schemaname = 'public' and tablename not like 'migration_%' order by 1`),
    constraints: await q(`select conrelid::regclass::text, conname, pg_get_constraintdef(oid) from pg_constraint where connamespace = 'public'::regnamespace and conrelid::regclass::text not like 'migration_%' order by 1, 2`),
    types: await q(`select typname, array_to_string(array(select enumlabel from pg_enum e where e.enumtypid = t.oid order by enumsortorder), ',') from pg_type t where typnamespace = 'public'::regnamespace and typtype = 'e' order by 1`),
    views: await q(`select table_name, view_definition from information_schema.views where table_schema = 'public' order by 1`),
    triggers: await q(`select event_object_table, trigger_name, event_manipulation from information_schema.triggers order by 1, 2, 3`),
    comments: await q(`select c.relname, obj_description(c.oid) from pg_class c where c.relnamespace = 'public'::regnamespace and c.relname not like 'migration_%' and obj_description(c.oid) is not null order by 1`),
    data: await q(`select 'products', count(*) from products union all select 'm_users', count(*) from m_users union all select 'm_orders', count(*) from m_orders`),
    typeormHistory: await q(`select timestamp, name from migrations order by id`),
    mikroHistory: await q(`select name from mikro_orm_migrations order by id`),
  };
}

describe('adopting existing migrations: ours and the plain ORM CLIs build the same database', () => {
  let ours: TestDatabase;
  let plain: TestDatabase;
  beforeAll(async () => {
    [ours, plain] = await Promise.all([createTestDatabase('corpus_ours'), createTestDatabase('corpus_plain')]);
  });
  afterAll(async () => {
    await Promise.all([ours.drop(), plain.drop()]);
  });

  it('applies 22 migrations shaped like real projects (schema API, multi-statement strings, DO blocks, reads in up(), shared timestamps, per-module folders)', async () => {
    const result = await runMigrate(['--config', join(CORPUS, 'migrate.config.json'), 'up'], { env: { DATABASE_URL: ours.url }, timeoutMs: 120_000 });
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/applied 22 migration\(s\)/);
  });

  it('matches what the plain CLIs build from the same files: tables, columns, indexes, constraints, types, views, history rows', async () => {
    const env = cleanEnv({ DATABASE_URL: plain.url, TS_NODE_TRANSPILE_ONLY: 'true' });
    execFileSync(bin('typeorm-ts-node-commonjs'), ['migration:run', '-d', join(CORPUS, 'typeorm/data-source.ts')], { cwd: ROOT, env, stdio: 'pipe' });
    execFileSync(bin('mikro-orm'), ['migration:up', '--config', join(CORPUS, 'mikro-orm.config.ts')], { cwd: ROOT, env, stdio: 'pipe' });
    const [a, b] = await Promise.all([catalog(ours), catalog(plain)]);
    expect(a.typeormHistory).toHaveLength(14);
    expect(a.mikroHistory).toHaveLength(8);
    expect(a.constraints.length).toBeGreaterThan(10);
    expect(a).toEqual(b);
  });

  it('status shows everything the plain CLIs applied as applied, and up then has nothing to do', async () => {
    const config = join(CORPUS, 'migrate.config.json');
    const status = JSON.parse((await runMigrate(['--config', config, 'status', '--json'], { env: { DATABASE_URL: plain.url } })).stdout);
    const states = status.apps.flatMap((a: { migrations: { state: string }[] }) => a.migrations.map((m) => m.state));
    expect(states).toEqual(Array(22).fill('applied'));
    const up = await runMigrate(['--config', config, 'up'], { env: { DATABASE_URL: plain.url } });
    expect(up.stdout).toMatch(/nothing pending/);
    // checksums start from first sight: a baseline row per adopted migration
    const [{ n }] = await plain.query<{ n: number }>(`select count(*)::int as n from migration_runs where direction = 'baseline'`);
    expect(n).toBe(22);
  });

  it("finds the migrations through the app's own DataSource and MikroORM config when the config lists none", async () => {
    const status = JSON.parse((await runMigrate(['--config', join(CORPUS, 'migrate.from-orm-configs.json'), 'status', '--json'], { env: { DATABASE_URL: plain.url } })).stdout);
    expect(status.apps.map((a: { app: string; migrations: { state: string }[] }) => [a.app, a.migrations.length, a.migrations.every((m) => m.state === 'applied')])).toEqual([
      ['shop', 14, true],
      ['warehouse', 8, true],
    ]);
  });

  it('plan shows the SQL of the schema API calls and runs the reads an up() makes, executing no write', async () => {
    const fresh = await createTestDatabase('corpus_plan');
    try {
      const result = await runMigrate(['--config', join(CORPUS, 'migrate.config.json'), 'plan', '--json'], { env: { DATABASE_URL: fresh.url } });
      expect(result.code).toBe(0);
      const doc = JSON.parse(result.stdout);
      const shop = doc.apps[0].migrations;
      expect(shop[0].statements.map((s: { sql: string }) => s.sql).join('\n')).toMatch(/CREATE TABLE "users"/);
      const read = doc.apps[1].migrations.find((m: { name: string }) => m.name === 'Migration20240102000000').statements[0];
      expect(read).toMatchObject({ kind: 'read', executed: true });
      expect((await fresh.query(`select count(*)::int as n from information_schema.tables where table_schema = 'public'`))[0]).toEqual({ n: 0 });
    } finally {
      await fresh.drop();
    }
  });

  it('reverts the whole run across both ORMs', async () => {
    const result = await runMigrate(['--config', join(CORPUS, 'migrate.config.json'), 'revert'], { env: { DATABASE_URL: ours.url } });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/reverted 22 migration\(s\)/);
    expect(await ours.query(`select table_name from information_schema.tables where table_schema = 'public' and table_name not in ('migrations', 'mikro_orm_migrations', 'migration_runs')`)).toEqual([]);
  });
});
