import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { columnType } from '../support/catalog';
import { runMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { scratchProject } from '../support/scratch-project';

const TYPEORM_SOURCE = `
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('widgets')
export class Widget {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' }) id!: string;
  @Column({ type: 'varchar', length: 80 }) name!: string;
}

export default new DataSource({ type: 'postgres', url: process.env.DATABASE_URL, entities: [Widget] });
`;

const MIKRO_CONFIG = `
import { defineEntity, p } from '@mikro-orm/core';

const Gadget = defineEntity({ name: 'Gadget', tableName: 'gadgets', properties: { id: p.bigint().primary().autoincrement(), label: p.string().length(40) } });

// widgets belong to the shop app: MikroORM would drop them otherwise
export default { entities: [Gadget], clientUrl: process.env.DATABASE_URL, discovery: { warnWhenNoEntities: false }, migrations: { snapshot: false }, schemaGenerator: { skipTables: ['widgets'] } };
`;

describe('generate and check: the ORM diff, our file naming, CI drift detection', () => {
  let db: TestDatabase;
  let project: ReturnType<typeof scratchProject>;
  const run = (...args: string[]) => runMigrate(['--config', join(project.dir, 'migrate.config.json'), ...args], { env: { DATABASE_URL: db.url } });

  beforeAll(async () => {
    db = await createTestDatabase('generate');
    project = scratchProject('generate');
    for (const dir of ['shop', 'parts']) mkdirSync(join(project.dir, dir, 'migrations'), { recursive: true });
    writeFileSync(join(project.dir, 'shop/data-source.ts'), TYPEORM_SOURCE);
    writeFileSync(join(project.dir, 'parts/mikro-orm.config.ts'), MIKRO_CONFIG);
    project.writeConfig([
      { name: 'shop', orm: 'typeorm', migrations: 'shop/migrations', naming: 'timestamped', dataSource: 'shop/data-source.ts' },
      { name: 'parts', orm: 'mikro-orm', migrations: 'parts/migrations', naming: 'timestamped', mikroOrmConfig: 'parts/mikro-orm.config.ts' },
    ]);
  });
  afterAll(async () => {
    project.remove();
    await db.drop();
  });

  it('check exits 4 and shows the SQL when entities and database differ', async () => {
    const result = await run('check');
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/shop: entities differ from the database; `migrate generate <description> --app shop` would write:\n\s+CREATE TABLE "widgets"/);
    expect(result.stdout).toMatch(/parts: entities differ[\s\S]*create table "gadgets"/);
  });

  it.each([
    ['shop', /^export class CreateWidgets(\d{13}) implements MigrationInterface/m],
    ['parts', /^export class Migration\d{12}CreateWidgets extends Migration/m],
  ])('generate writes YYYYMMDDHHmm__create_widgets.ts for %s in its own ORM shape', async (app, classLine) => {
    const result = await run('generate', 'create_widgets', '--app', app);
    expect(result.code).toBe(0);
    const [file] = readdirSync(join(project.dir, app, 'migrations'));
    expect(file).toMatch(/^\d{12}__create_widgets\.ts$/);
    const source = readFileSync(join(project.dir, app, 'migrations', file), 'utf8');
    const match = classLine.exec(source);
    expect(match).not.toBeNull();
    if (app === 'shop') {
      const instant = file.slice(0, 12);
      const ms = Date.UTC(+instant.slice(0, 4), +instant.slice(4, 6) - 1, +instant.slice(6, 8), +instant.slice(8, 10), +instant.slice(10, 12));
      expect(Number(match![1])).toBe(ms);
    }
  });

  it('applies what it generated, after which check finds no drift', async () => {
    expect((await run('up')).code).toBe(0);
    expect(await columnType(db, 'widgets', 'name')).toBe('character varying(80)');
    expect(await columnType(db, 'gadgets', 'label')).toBe('character varying(40)');
    const check = await run('check');
    expect(check.stdout).toMatch(/shop: entities match the database\nparts: entities match the database/);
    expect(check.code).toBe(0);
  });

  it('refuses a description that is not lower-case words joined by _', async () => {
    const result = await run('generate', 'Add Stuff', '--app', 'shop');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/"Add Stuff" is not a migration description: use lower-case words joined by _/);
  });

  it('says so when there is nothing to generate', async () => {
    const result = await run('generate', 'nothing_here', '--app', 'shop');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/the entities match the database; nothing to generate/);
  });

  it('generate wrote a plain CREATE INDEX on a live table, in a transaction, which lint then refused', async () => {
    writeFileSync(
      join(project.dir, 'shop/data-source.ts'),
      TYPEORM_SOURCE.replace("import { Column,", "import { Column, Index,").replace("@Column({ type: 'varchar', length: 80 }) name", "@Index('idx_widgets_name') @Column({ type: 'varchar', length: 80 }) name"),
    );
    const result = await run('generate', 'index_widgets_name', '--app', 'shop');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/outside a transaction: its indexes are built CONCURRENTLY/);
    const file = readdirSync(join(project.dir, 'shop/migrations')).find((f) => f.endsWith('__index_widgets_name.ts'))!;
    const source = readFileSync(join(project.dir, 'shop/migrations', file), 'utf8');
    expect(source).toMatch(/CREATE INDEX CONCURRENTLY "idx_widgets_name" ON "widgets"/);
    expect(source).toMatch(/DROP INDEX CONCURRENTLY /);
    expect(source).toMatch(/^ {2}transaction = false as const;$/m);
    const lint = await run('lint', join(project.dir, 'shop/migrations', file));
    expect({ code: lint.code, stdout: lint.stdout }).toEqual({ code: 0, stdout: expect.stringMatching(/^(0 finding|no findings)/) });
  });

  it('generate, run again before up, wrote the pending migration\'s changes a second time', async () => {
    const result = await run('generate', 'index_widgets_again', '--app', 'shop');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/shop has 1 pending migration\(s\): \d{12}__index_widgets_name; .*would write their changes again: run `migrate up --app shop` first/);
    expect(readdirSync(join(project.dir, 'shop/migrations')).filter((f) => f.includes('index_widgets'))).toHaveLength(1);
    expect((await run('up', '--app', 'shop')).code).toBe(0);
    expect((await run('check')).code).toBe(0);
  });
});

describe('the example apps', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('examples');
  });
  afterAll(() => db.drop());

  it('match their entities right after their migrations ran (no drift)', async () => {
    expect((await runMigrate(['up'], { env: { DATABASE_URL: db.url } })).code).toBe(0);
    const check = await runMigrate(['check'], { env: { DATABASE_URL: db.url } });
    expect(check.stdout).toBe('payments: entities match the database\nledger: entities match the database\n');
    expect(check.code).toBe(0);
  });
});
