import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { scratchProject } from '../support/scratch-project';

describe('guards for deploys and CI', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('guards');
  });
  afterAll(() => db.drop());

  it('status --exit-code exits 6 while something is pending, 0 once all is applied (readiness checks, CI gates)', async () => {
    const env = { DATABASE_URL: db.url };
    expect((await runMigrate(['status', '--exit-code'], { env })).code).toBe(6);
    expect((await runMigrate(['up'], { env })).code).toBe(0);
    expect((await runMigrate(['--exit-code', 'status'].reverse(), { env })).code).toBe(0);
  });

  it('down and revert with ENV=production need --yes, and say so', async () => {
    const env = { DATABASE_URL: db.url, ENV: 'production' };
    for (const args of [['down', '--app', 'ledger'], ['revert']]) {
      const refused = await runMigrate(args, { env });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(new RegExp(`${args[0]} with ENV=production reverts schema changes in production: add --yes to confirm`));
    }
    expect((await runMigrate(['down', '--app', 'ledger', '--yes'], { env })).code).toBe(0);
  });

  it('global options work before or after the command name', async () => {
    const before = await runMigrate(['--app', 'payments', '--json', 'status'], { env: { DATABASE_URL: db.url } });
    const after = await runMigrate(['status', '--app', 'payments', '--json'], { env: { DATABASE_URL: db.url } });
    expect(JSON.parse(before.stdout)).toEqual(JSON.parse(after.stdout));
    expect(JSON.parse(after.stdout).apps.map((a: { app: string }) => a.app)).toEqual(['payments']);
  });
});

describe('MIGRATION_TIMEOUT', () => {
  let db: TestDatabase;
  let project: ReturnType<typeof scratchProject>;
  beforeAll(async () => {
    db = await createTestDatabase('timeout');
    project = scratchProject('timeout');
    writeFileSync(
      join(project.migrations, '202401160900__slow_data_fix.ts'),
      'export class SlowDataFix1705395600000 { async up(q) { await q.query(`SELECT pg_sleep(30)`); } async down() {} }\n',
    );
    project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped' }]);
  });
  afterAll(async () => {
    project.remove();
    await db.drop();
  });

  it('cancels a migration past its time limit and fails the run like any failure', async () => {
    const result = await runMigrate(['--config', join(project.dir, 'migrate.config.json'), 'up', '--no-revert-on-failure'], { env: { DATABASE_URL: db.url, MIGRATION_TIMEOUT: '1s' } });
    expect(result.code).toBe(1);
    expect(result.ms).toBeLessThan(15_000);
    expect(result.stderr).toMatch(/payments\/202401160900__slow_data_fix up failed at "SELECT pg_sleep\(30\)": canceling statement due to statement timeout \(SQLSTATE 57014\)/);
  });
});

describe('a runner with only the compiled JavaScript (a Docker image)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('compiled');
  });
  afterAll(() => db.drop());

  it('reads the checksums of the sources from the manifest the build writes, so nothing shows as changed', async () => {
    const compiled = join(__dirname, '../fixtures/compiled/migrate.config.json');
    expect((await runMigrate(['up', '--app', 'payments'], { env: { DATABASE_URL: db.url } })).code).toBe(0);
    const status = JSON.parse((await runMigrate(['--config', compiled, 'status', '--json'], { env: { DATABASE_URL: db.url } })).stdout);
    expect(status.apps.map((a: { migrations: { state: string }[] }) => a.migrations.map((m) => m.state))).toEqual([
      ['applied', 'applied'],
      ['pending', 'pending'],
    ]);
    const up = await runMigrate(['--config', compiled, 'up'], { env: { DATABASE_URL: db.url } });
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/applied 2 migration\(s\)/);
  });
});
