import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { tableExists } from '../support/catalog';
import { runMigrate, type CliResult } from '../support/cli';
import { createTestDatabase, urlFor, type TestDatabase } from '../support/database';
import { scratchProject } from '../support/scratch-project';

const SECRET = 'pw-s3cret-xyz';
const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

function expectCleanFailure(result: CliResult, message: RegExp, exitCode = 2): void {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: exitCode, stderr: expect.stringMatching(message) });
  expect(result.stdout + result.stderr).not.toContain(SECRET);
  expect(result.stderr).not.toMatch(STACK_LINE);
}

function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = password;
  return u.toString();
}

describe('bad input: exit 2, a message naming the problem and the fix, no secret, no stack trace', () => {
  it('a malformed DATABASE_URL', async () => {
    expectCleanFailure(await runMigrate(['up'], { env: { DATABASE_URL: `postgres//nope:${SECRET}@@` } }), /DATABASE_URL is not a valid URL: expected postgres:\/\/user:.+@host:5432\/db/);
  });

  it('a URL of another scheme', async () => {
    expectCleanFailure(await runMigrate(['up'], { env: { DATABASE_URL: `mysql://root:${SECRET}@localhost/db` } }), /DATABASE_URL is not a PostgreSQL URL/);
  });

  it('an unreachable server, named by host and port, within seconds', async () => {
    const result = await runMigrate(['up'], { env: { DATABASE_URL: `postgres://postgres:${SECRET}@127.0.0.1:1/x` } });
    expectCleanFailure(result, /cannot reach PostgreSQL at 127\.0\.0\.1:1 \(ECONNREFUSED\)/);
    expect(result.ms).toBeLessThan(10_000);
  });

  it('a database that does not exist, named', async () => {
    expectCleanFailure(await runMigrate(['up'], { env: { DATABASE_URL: urlFor('no_such_db_here') } }), /database "no_such_db_here" does not exist on .+: create it/);
  });

  it('a wrong password', async () => {
    const admin = process.env.ZDM_TEST_ADMIN_URL!;
    const probe = new Client({ connectionString: withPassword(admin, SECRET) });
    const trusted = await probe.connect().then(
      () => true,
      () => false,
    );
    await probe.end().catch(() => undefined);
    if (trusted) return expect(trusted).toBe(true); // a trust-auth server accepts any password: nothing to refuse
    expectCleanFailure(await runMigrate(['up'], { env: { DATABASE_URL: withPassword(admin, SECRET) } }), /refused the login of user "postgres": check the user and password/);
  });

  it('a bad duration in the environment names the variable', async () => {
    expectCleanFailure(await runMigrate(['up'], { env: { DATABASE_URL: 'postgres://u@127.0.0.1:1/x', MIGRATION_LOCK_TIMEOUT: 'soon' } }), /MIGRATION_LOCK_TIMEOUT="soon" is not a duration/);
  });

  it('an unknown app lists the known ones', async () => {
    expectCleanFailure(await runMigrate(['status', '--app', 'billing'], { env: {} }), /--app billing: no such app .*; the apps are payments, ledger/);
  });

  it('an unknown option is a usage error', async () => {
    const result = await runMigrate(['up', '--frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown option '--frobnicate'/);
  });

  it.each(['status', 'up', 'down', 'revert', 'plan', 'generate', 'check', 'lint', 'backfill', 'init'])('%s --help prints its usage and exits 0', async (command) => {
    const result = await runMigrate([command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`Usage: migrate ${command}`));
  });
});

describe('bad migrations: refused before anything runs', () => {
  let db: TestDatabase;
  let project: ReturnType<typeof scratchProject>;
  const run = (...args: string[]) => runMigrate(['--config', join(project.dir, 'migrate.config.json'), ...args], { env: { DATABASE_URL: db.url } });

  beforeEach(async () => {
    db = await createTestDatabase('badmig');
    project = scratchProject('badmig');
    project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped' }]);
  });
  afterEach(async () => {
    project.remove();
    await db.drop();
  });

  it('a file name that breaks YYYYMMDDHHmm__description', async () => {
    writeFileSync(join(project.migrations, '2024-01-16_add_stuff.ts'), 'export class AddStuff1705395600000 { async up() {} async down() {} }\n');
    expectCleanFailure(await run('up'), /migration file "2024-01-16_add_stuff" breaks the naming rule YYYYMMDDHHmm__description/);
    expect(await tableExists(db, 'chargebacks')).toBe(false);
  });

  it('two migrations with the same timestamp', async () => {
    writeFileSync(join(project.migrations, '202401150900__another_one.ts'), 'export class AnotherOne1705309200000 { async up() {} async down() {} }\n');
    expectCleanFailure(await run('up'), /share the timestamp 202401150900; give one of them a later minute/);
    expect(await tableExists(db, 'chargebacks')).toBe(false);
  });

  it('a TypeORM class name whose timestamp is not the file name instant', async () => {
    writeFileSync(join(project.migrations, '202401160900__mismatch.ts'), 'export class Mismatch1705309200001 { async up() {} async down() {} }\n');
    expectCleanFailure(await run('up'), /end the class name with 1705395600000/);
  });

  it('a transactional migration with CREATE INDEX CONCURRENTLY names the fix', async () => {
    writeFileSync(
      join(project.migrations, '202401160900__index_in_transaction.ts'),
      'export class IndexInTransaction1705395600000 { async up(q) { await q.query(`CREATE INDEX CONCURRENTLY idx_x ON chargebacks (status)`); } async down() {} }\n',
    );
    expectCleanFailure(await run('up'), /inside a transaction, which PostgreSQL refuses: add `transaction = false` to the migration class; nothing was run/);
    expect(await tableExists(db, 'chargebacks')).toBe(false);
  });

  it('failing SQL names the app, the migration, the statement and the PostgreSQL error, and leaves nothing half-applied', async () => {
    writeFileSync(
      join(project.migrations, '202401160900__bad_sql.ts'),
      'export class BadSql1705395600000 { async up(q) { await q.query(`ALTER TABLE chargebacks ADD note text`); await q.query(`ALTER TABLE chargebacks ADD COLUMN amount_minor bigint`); } async down() {} }\n',
    );
    const result = await run('up', '--no-revert-on-failure');
    expectCleanFailure(result, /payments\/202401160900__bad_sql up failed at "ALTER TABLE chargebacks ADD COLUMN amount_minor bigint": column "amount_minor" of relation "chargebacks" already exists \(SQLSTATE 42701\)/, 1);
    const [{ n }] = await db.query<{ n: string }>(`select count(*) as n from information_schema.columns where table_name = 'chargebacks' and column_name = 'note'`);
    expect(Number(n)).toBe(0);
  });

  it('a config mistake names the key', async () => {
    project.writeConfig([{ name: 'payments', orm: 'sequelize', migrations: 'migrations/*.ts' }]);
    expectCleanFailure(await run('status'), /apps\[0\]\.orm \(app "payments"\): unknown ORM "sequelize"; use "typeorm" or "mikro-orm"/);
    project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: 'nowhere/*.ts' }]);
    expectCleanFailure(await run('status'), /apps\[0\]\.migrations \(app "payments"\): "nowhere\/\*\.ts" matches no file/);
    project.writeConfig([
      { name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts' },
      { name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts' },
    ]);
    expectCleanFailure(await run('status'), /two apps are named "payments"/);
  });
});
