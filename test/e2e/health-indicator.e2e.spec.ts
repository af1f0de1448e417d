import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { MigrationsHealthIndicator, MigrationsHealthModule } from '@zdm/migration-cli/nest';
import { ReleaseReadiness } from '../../libs/migrator/src/readiness';
import { runMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { scratchProject } from '../support/scratch-project';

const NEWER = `import type { MigrationInterface, QueryRunner } from 'typeorm';
export class ChargebacksNote1705320000000 implements MigrationInterface {
  name = 'ChargebacksNote1705320000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(\`ALTER TABLE "chargebacks" ADD "note" text\`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(\`ALTER TABLE "chargebacks" DROP COLUMN "note"\`);
  }
}
`;

describe('readiness: the migrations health indicator for @nestjs/terminus', () => {
  let db: TestDatabase;
  let project: ReturnType<typeof scratchProject>;
  let app: INestApplication | undefined;
  const config = () => join(project.dir, 'migrate.config.json');
  const migrate = (args: string[]) => runMigrate(['--config', config(), ...args], { env: { DATABASE_URL: db.url }, cwd: project.dir });

  beforeEach(async () => {
    db = await createTestDatabase('health');
    project = scratchProject('health');
    project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped' }]);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    project.remove();
    await db.drop();
  });

  /** A Nest app of this release with GET /health/ready, as a Deployment's readiness probe asks it. */
  async function boot(options: { useFactory?: boolean } = {}): Promise<(path?: string) => Promise<{ status: number; body: Record<string, unknown> }>> {
    const env = { DATABASE_URL: db.url };
    @Controller('health')
    class HealthController {
      constructor(
        private readonly health: HealthCheckService,
        private readonly migrations: MigrationsHealthIndicator,
      ) {}

      @Get('ready')
      @HealthCheck()
      ready() {
        return this.health.check([() => this.migrations.isReady()]);
      }
    }
    const health = options.useFactory
      ? MigrationsHealthModule.forRootAsync({ useFactory: async () => ({ config: config(), env, cacheMs: 0 }) })
      : MigrationsHealthModule.forRoot({ config: config(), env, cacheMs: 0 });
    @Module({ imports: [TerminusModule, health], controllers: [HealthController] })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    return async (path = '/health/ready') => {
      const response = await fetch(`${url.replace('[::1]', '127.0.0.1')}${path}`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
  }

  it('is down (503) while this release has pending migrations, up once they are applied', async () => {
    const probe = await boot();
    const before = await probe();
    expect(before.status).toBe(503);
    expect(before.body).toMatchObject({ status: 'error', error: { migrations: { status: 'down', apps: { payments: { pending: ['202401150900__create_chargebacks', '202401151000__chargebacks_add_utr_reported_at'] } } } } });
    expect((await migrate(['up'])).code).toBe(0);
    const after = await probe();
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ status: 'ok', info: { migrations: { status: 'up', apps: { payments: { pending: [], changed: [], missing: [] } } } } });
  });

  it('stays up when a newer release applied a migration this one lacks (missing), as old pods do in a rolling deploy', async () => {
    writeFileSync(join(project.migrations, '202401151200__chargebacks_note.ts'), NEWER);
    expect((await migrate(['up'])).code).toBe(0);
    const { rmSync } = await import('node:fs');
    rmSync(join(project.migrations, '202401151200__chargebacks_note.ts'));
    const probe = await boot({ useFactory: true });
    const result = await probe();
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ info: { migrations: { apps: { payments: { missing: ['ChargebacksNote1705320000000'] } } } } });
  });

  it('is down when an applied migration of this release was edited (changed)', async () => {
    expect((await migrate(['up'])).code).toBe(0);
    const file = join(project.migrations, '202401151000__chargebacks_add_utr_reported_at.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace('character varying(64)', 'character varying(80)'));
    const probe = await boot();
    const result = await probe();
    expect(result.status).toBe(503);
    expect(result.body).toMatchObject({ error: { migrations: { apps: { payments: { changed: ['202401151000__chargebacks_add_utr_reported_at'], pending: [] } } } } });
  });

  it('a database it cannot reach makes it down with the reason, and no password in it', async () => {
    const env = { DATABASE_URL: 'postgres://app:hunter2secret@127.0.0.1:1/nowhere' };
    @Module({ imports: [MigrationsHealthModule.forRoot({ config: config(), env })] })
    class AppModule {}
    const context = await NestFactory.createApplicationContext(AppModule, { logger: false });
    try {
      const result = await context.get(MigrationsHealthIndicator).isReady();
      expect(result.migrations.status).toBe('down');
      expect(JSON.stringify(result)).toMatch(/127\.0\.0\.1:1/);
      expect(JSON.stringify(result)).not.toMatch(/hunter2secret/);
    } finally {
      await context.close();
    }
  });

  it('answers probes from a cache: one query per cacheMs, however often it is asked', async () => {
    expect((await migrate(['up'])).code).toBe(0);
    let released = 0;
    const readiness = new ReleaseReadiness(
      async () => {
        released++;
        return [{ app: 'payments', target: { url: db.url } as never, historyTable: '"migrations"', runLogTable: '"migration_runs"', migrations: [] }];
      },
      { cacheMs: 60_000 },
    );
    try {
      const [first, second] = await Promise.all([readiness.check(), readiness.check()]);
      const third = await readiness.check();
      expect(second).toBe(first);
      expect(third).toBe(first);
      expect(released).toBe(1);
      const sessions = await db.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where application_name = 'zdm-readiness'`);
      expect(sessions[0].n).toBe(1);
    } finally {
      await readiness.close();
    }
  });
});
