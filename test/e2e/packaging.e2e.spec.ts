import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, ROOT } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';

const LIBS = ['db', 'migrator', 'migration-cli', 'migration-lint', 'backfill', 'observability'];
const version = (name: string) => JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies[name] as string;

const FILES: Record<string, string> = {
  'nest-cli.json': JSON.stringify({ monorepo: true, projects: { shop: { type: 'application', root: 'apps/shop' }, stock: { type: 'application', root: 'apps/stock' }, common: { type: 'library', root: 'libs/common' } } }),
  'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'commonjs', experimentalDecorators: true, emitDecoratorMetadata: true, strict: true } }),
  'apps/shop/src/data-source.ts': `import { DataSource } from 'typeorm';\nexport default new DataSource({ type: 'postgres', url: process.env.DATABASE_URL, migrations: [__dirname + '/../migrations/*.ts'] });\n`,
  'apps/shop/migrations/1700000000000-CreateCarts.ts': `import type { MigrationInterface, QueryRunner } from 'typeorm';
export class CreateCarts1700000000000 implements MigrationInterface {
  async up(q: QueryRunner) { await q.query('CREATE TABLE carts (id serial PRIMARY KEY, owner text NOT NULL)'); }
  async down(q: QueryRunner) { await q.query('DROP TABLE carts'); }
}
`,
  'apps/shop/migrations/1700000100000-CartsIndex.ts': `import type { MigrationInterface, QueryRunner } from 'typeorm';
export class CartsIndex1700000100000 implements MigrationInterface {
  transaction = false as const;
  async up(q: QueryRunner) { await q.query('CREATE INDEX CONCURRENTLY carts_owner_idx ON carts (owner)'); }
  async down(q: QueryRunner) { await q.query('DROP INDEX CONCURRENTLY carts_owner_idx'); }
}
`,
  'apps/stock/src/mikro-orm.config.ts': `import { defineConfig } from '@mikro-orm/postgresql';\nexport default defineConfig({ clientUrl: process.env.DATABASE_URL, entities: [], discovery: { warnWhenNoEntities: false }, migrations: { path: __dirname + '/../migrations' } });\n`,
  'apps/stock/migrations/Migration20240101000000.ts': `import { Migration } from '@mikro-orm/migrations';
export class Migration20240101000000 extends Migration {
  override async up() { this.addSql('create table "bins" ("id" serial primary key, "label" text not null)'); }
  override async down() { this.addSql('drop table "bins"'); }
}
`,
};

/**
 * The libraries packed with `pnpm pack` and installed into a project outside the workspace, with a
 * TypeORM app and a MikroORM app of its own: `init`, `up`, `status` and `down` through the
 * installed `zdm-migrate` bin.
 */
describe('installable packages', () => {
  let db: TestDatabase;
  let work: string;
  beforeAll(async () => {
    db = await createTestDatabase('packaging');
    work = mkdtempSync(join(tmpdir(), 'zdm-pack-'));
  });
  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await db.drop();
  });

  it('packs, installs into a scratch project, and runs init, up, status and down there', () => {
    const packs = join(work, 'packs');
    mkdirSync(packs);
    const env = cleanEnv({ DATABASE_URL: db.url });
    for (const lib of LIBS) execFileSync('pnpm', ['pack', '--pack-destination', packs], { cwd: join(ROOT, 'libs', lib), env, stdio: 'pipe' });
    const tarball = (lib: string) => `file:${join(packs, readdirSync(packs).find((f) => f.startsWith(`zdm-${lib}-`))!)}`;
    const project = join(work, 'project');
    for (const [file, text] of Object.entries(FILES)) {
      mkdirSync(join(project, file, '..'), { recursive: true });
      writeFileSync(join(project, file), text);
    }
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'scratch-monorepo',
        private: true,
        dependencies: {
          '@zdm/migration-cli': tarball('migration-cli'),
          typeorm: version('typeorm'),
          '@mikro-orm/core': version('@mikro-orm/core'),
          '@mikro-orm/postgresql': version('@mikro-orm/postgresql'),
          '@mikro-orm/migrations': version('@mikro-orm/migrations'),
          pg: version('pg'),
          'reflect-metadata': version('reflect-metadata'),
        },
        pnpm: { overrides: Object.fromEntries(LIBS.map((lib) => [`@zdm/${lib}`, tarball(lib)])) },
      }),
    );
    execFileSync('pnpm', ['install', '--prefer-offline', '--config.auto-install-peers=true', '--reporter=silent'], { cwd: project, env, stdio: 'pipe', timeout: 240_000 });
    const migrate = (...args: string[]) => execFileSync(join(project, 'node_modules/.bin/zdm-migrate'), args, { cwd: project, env, encoding: 'utf8', stdio: 'pipe' });

    migrate('init');
    const config = JSON.parse(readFileSync(join(project, 'migrate.config.json'), 'utf8'));
    expect(config.apps.map((a: { name: string; orm: string }) => [a.name, a.orm])).toEqual([
      ['shop', 'typeorm'],
      ['stock', 'mikro-orm'],
    ]);
    expect(migrate('up')).toMatch(/applied 3 migration\(s\)/);
    const status = JSON.parse(migrate('status', '--json'));
    expect(status.apps.flatMap((a: { migrations: { state: string }[] }) => a.migrations.map((m) => m.state))).toEqual(['applied', 'applied', 'applied']);
    expect(migrate('down', '--app', 'shop')).toMatch(/reverted 1 migration\(s\)/);
    expect(JSON.parse(migrate('status', '--json')).apps[0].migrations[1].state).toBe('pending');
  }, 300_000);
});
