import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runMigrate } from '../support/cli';
import { createTestDatabase, urlFor, withClient, type TestDatabase } from '../support/database';
import { scratchProject } from '../support/scratch-project';

// `migrate verify`: every chosen migration goes up, down and up again on a scratch database of
// our own; the schema after down must be the one before up. The broken downs below are the
// shapes real projects' histories stop at.

const typeorm = (stamp: string, cls: string, up: string[], down: string[], transaction = true) => `import type { MigrationInterface, QueryRunner } from 'typeorm';
export class ${cls} implements MigrationInterface {
  name = '${cls}';${transaction ? '' : '\n  transaction = false as const;'}
  async up(queryRunner: QueryRunner): Promise<void> {
${up.map((s) => `    await queryRunner.query(\`${s.replace(/`/g, '\\`')}\`);`).join('\n')}
  }
  async down(queryRunner: QueryRunner): Promise<void> {
${down.map((s) => `    await queryRunner.query(\`${s.replace(/`/g, '\\`')}\`);`).join('\n')}
  }
}
`;

const MYSQL_DROP_INDEX = typeorm(
  '202401151100',
  'ChargebacksIndexStatus1705316400000',
  ['CREATE INDEX "IDX_chargebacks_status" ON "chargebacks" ("status")'],
  ['DROP INDEX `IDX_chargebacks_status` ON `chargebacks`'],
);
const NOT_NULL_WITHOUT_SET = typeorm(
  '202401151200',
  'ChargebacksReasonOptional1705320000000',
  ['ALTER TABLE "chargebacks" ADD "reason" text NOT NULL DEFAULT \'\'', 'ALTER TABLE "chargebacks" ALTER COLUMN "reason" DROP NOT NULL'],
  ['ALTER TABLE "chargebacks" ALTER COLUMN "reason" NOT NULL'],
);
const FORGETS_A_COLUMN = typeorm(
  '202401151300',
  'ChargebacksAddNote1705323600000',
  ['ALTER TABLE "chargebacks" ADD "note" character varying(200)', 'ALTER TABLE "chargebacks" ADD "note_at" TIMESTAMP WITH TIME ZONE'],
  ['ALTER TABLE "chargebacks" DROP COLUMN "note_at"'],
);
const WRONG_TYPE_BACK = typeorm(
  '202401151400',
  'ChargebacksWidenUtr1705327200000',
  ['ALTER TABLE "chargebacks" ALTER COLUMN "utr" TYPE character varying(128)'],
  ['ALTER TABLE "chargebacks" ALTER COLUMN "utr" TYPE character varying(100)'],
);
const GOOD = typeorm(
  '202401151500',
  'ChargebacksAddSource1705330800000',
  ['ALTER TABLE "chargebacks" ADD "source" character varying(32)', 'CREATE INDEX CONCURRENTLY "idx_chargebacks_source" ON "chargebacks" ("source")'],
  ['DROP INDEX CONCURRENTLY "idx_chargebacks_source"', 'ALTER TABLE "chargebacks" DROP COLUMN "source"'],
  false,
);

const MIKRO_CREATE = `import { Migration } from '@mikro-orm/migrations';
export class Migration202401150930CreateAccounts extends Migration {
  override async up(): Promise<void> {
    this.addSql(\`create type "account_kind" as enum ('asset', 'liability');\`);
    this.addSql(\`create table "accounts" ("id" serial primary key, "kind" "account_kind" not null, "name" varchar(80) not null);\`);
  }
  override async down(): Promise<void> {
    this.addSql(\`drop table "accounts";\`);
    this.addSql(\`drop type "account_kind";\`);
  }
}
`;
const MIKRO_ENUM_VALUE_KEPT = `import { Migration } from '@mikro-orm/migrations';
export class Migration202401151030AccountKindEquity extends Migration {
  override async up(): Promise<void> {
    this.addSql(\`alter type "account_kind" add value 'equity';\`);
    this.addSql(\`alter table "accounts" add constraint "accounts_name_unique" unique ("name");\`);
  }
  override async down(): Promise<void> {
    this.addSql(\`alter table "accounts" drop constraint "accounts_name_unique";\`);
  }
}
`;

interface Verified {
  app: string;
  migration: string;
  file: string;
  status: string;
  step?: string;
  error?: string;
  statement?: string;
  line?: number;
  message?: string;
  difference?: { object: string; before?: string; after?: string; count: number };
}

describe('migrate verify: up, down, up on a scratch database, and the schema down leaves', () => {
  let db: TestDatabase;
  let project: ReturnType<typeof scratchProject>;
  const config = () => join(project.dir, 'migrate.config.json');
  // scratch databases made by a role of this file's own, so another file's trace or verify running
  // at the same time on this server never counts as ours
  const scratchRole = `zdm_test_verify_${process.pid}`;
  const scratchUrl = (() => {
    const url = new URL(urlFor('postgres'));
    url.username = scratchRole;
    url.password = 'verify-scratch';
    return url.toString();
  })();
  const verify = (args: string[]) => runMigrate(['--config', config(), 'verify', '--scratch-url', scratchUrl, ...args], { env: { DATABASE_URL: db.url }, cwd: project.dir, timeoutMs: 120_000 });
  const scratchDatabases = () =>
    withClient(urlFor('postgres'), async (c) => (await c.query(`select count(*)::int as n from pg_database where datname like 'zdm\\_scratch\\_%' and datdba = (select oid from pg_roles where rolname = $1)`, [scratchRole])).rows[0].n as number);
  beforeAll(() => withClient(urlFor('postgres'), (c) => c.query(`create role ${scratchRole} login createdb password 'verify-scratch'`)));
  afterAll(() => withClient(urlFor('postgres'), (c) => c.query(`drop role if exists ${scratchRole}`)));

  beforeEach(async () => {
    db = await createTestDatabase('verify');
    project = scratchProject('verify');
    project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped' }]);
  });
  afterEach(async () => {
    project.remove();
    await db.drop();
  });

  it('the working migrations pass: exit 0, each named, and the target is only read', async () => {
    writeFileSync(join(project.migrations, '202401151500__chargebacks_add_source.ts'), GOOD);
    const result = await verify(['--json']);
    expect(result.stderr).not.toMatch(/"level":"error"|ERROR/);
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as { ok: boolean; migrations: Verified[] };
    expect(doc.ok).toBe(true);
    expect(doc.migrations.map((m) => [m.migration, m.status])).toEqual([
      ['202401150900__create_chargebacks', 'ok'],
      ['202401151000__chargebacks_add_utr_reported_at', 'ok'],
      ['202401151500__chargebacks_add_source', 'ok'],
    ]);
    // nothing was built on the target: no history table, no app table
    expect(await db.query(`select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public'`)).toEqual([]);
  });

  it('only what is pending on the target by default; nothing pending is exit 0 and says so', async () => {
    expect((await runMigrate(['--config', config(), 'up'], { env: { DATABASE_URL: db.url }, cwd: project.dir })).code).toBe(0);
    const none = await verify([]);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/nothing to check/);
    writeFileSync(join(project.migrations, '202401151500__chargebacks_add_source.ts'), GOOD);
    const one = await verify(['--json']);
    expect(one.code).toBe(0);
    expect((JSON.parse(one.stdout) as { migrations: Verified[] }).migrations.map((m) => m.migration)).toEqual(['202401151500__chargebacks_add_source']);
  });

  it("regression: a MySQL-style DROP INDEX … ON and an ALTER COLUMN … NOT NULL without SET in down() are each named with the statement and PostgreSQL's error; the others still pass", async () => {
    writeFileSync(join(project.migrations, '202401151100__chargebacks_index_status.ts'), MYSQL_DROP_INDEX);
    writeFileSync(join(project.migrations, '202401151200__chargebacks_reason_optional.ts'), NOT_NULL_WITHOUT_SET);
    writeFileSync(join(project.migrations, '202401151500__chargebacks_add_source.ts'), GOOD);
    const result = await verify(['--json']);
    expect(result.code).toBe(1);
    const migrations = (JSON.parse(result.stdout) as { migrations: Verified[] }).migrations;
    const byName = Object.fromEntries(migrations.map((m) => [m.migration, m]));
    expect(byName['202401151100__chargebacks_index_status']).toMatchObject({ status: 'failed', step: 'down', statement: expect.stringContaining('DROP INDEX `IDX_chargebacks_status` ON'), error: expect.stringMatching(/syntax error.*SQLSTATE 42601/), line: 8 });
    expect(byName['202401151100__chargebacks_index_status'].file).toMatch(/^test\/\.tmp\/verify-[^/]+\/migrations\/202401151100__chargebacks_index_status\.ts$/);
    expect(byName['202401151200__chargebacks_reason_optional']).toMatchObject({ status: 'failed', step: 'down', statement: expect.stringContaining('ALTER COLUMN "reason" NOT NULL'), error: expect.stringMatching(/syntax error/) });
    // a failed down doesn't stop the check: the migrations after it are checked from a rebuilt database
    expect(byName['202401151500__chargebacks_add_source'].status).toBe('ok');
    expect(byName['202401150900__create_chargebacks'].status).toBe('ok');
    // and the text output names file, line and statement for people
    const text = await verify([]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/FAIL {2}payments\/202401151100__chargebacks_index_status \(test\/\.tmp\/verify-[^/]+\/migrations\/202401151100__chargebacks_index_status\.ts:8\): down\(\) failed: .*syntax error/);
    expect(text.stdout).toMatch(/statement: DROP INDEX `IDX_chargebacks_status` ON `chargebacks`/);
    expect(text.stdout).toMatch(/3 of 5 migration\(s\) reversible/);
    expect(await scratchDatabases()).toBe(0);
  });

  it('a down() that runs but does not restore the schema: a column left behind, a type not put back, each named by the object (compared by name, not position)', async () => {
    writeFileSync(join(project.migrations, '202401151300__chargebacks_add_note.ts'), FORGETS_A_COLUMN);
    writeFileSync(join(project.migrations, '202401151400__chargebacks_widen_utr.ts'), WRONG_TYPE_BACK);
    const result = await verify(['--json', 'migrations/202401151300__chargebacks_add_note.ts', 'migrations/202401151400__chargebacks_widen_utr.ts']);
    expect(result.code).toBe(1);
    const [note, widen] = (JSON.parse(result.stdout) as { migrations: Verified[] }).migrations;
    expect(note).toMatchObject({ migration: '202401151300__chargebacks_add_note', status: 'failed', step: 'down', difference: { object: 'column public.chargebacks.note', after: 'character varying(200) null' } });
    expect(note.difference).not.toHaveProperty('before');
    expect(note.message).toMatch(/does not restore the schema: column public\.chargebacks\.note is still there after down/);
    expect(widen).toMatchObject({ status: 'failed', step: 'down', difference: { object: 'column public.chargebacks.utr', before: 'character varying(64) null', after: 'character varying(100) null', count: 1 } });
  });

  it('--format github: an annotation on the file a branch adds, at its line', async () => {
    writeFileSync(join(project.migrations, '202401151100__chargebacks_index_status.ts'), MYSQL_DROP_INDEX);
    const result = await verify(['--format', 'github', 'migrations/202401151100__chargebacks_index_status.ts']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^::error file=test\/\.tmp\/verify-[^/,]+\/migrations\/202401151100__chargebacks_index_status\.ts,line=8,title=verify 202401151100__chargebacks_index_status::down\(\) failed/m);
  });

  it('MikroORM: an enum value and a constraint down() forgets are named; its own first migration passes', async () => {
    const dir = join(project.dir, 'ledger');
    mkdirSync(dir);
    writeFileSync(join(dir, '202401150930__create_accounts.ts'), MIKRO_CREATE);
    writeFileSync(join(dir, '202401151030__account_kind_equity.ts'), MIKRO_ENUM_VALUE_KEPT);
    project.writeConfig([{ name: 'ledger', orm: 'mikro-orm', migrations: 'ledger/*.ts', naming: 'timestamped' }]);
    const result = await verify(['--json', '--all']);
    const migrations = (JSON.parse(result.stdout) as { migrations: Verified[] }).migrations;
    expect(result.code).toBe(1);
    expect(migrations[0]).toMatchObject({ migration: '202401150930__create_accounts', status: 'ok' });
    expect(migrations[1]).toMatchObject({ status: 'failed', step: 'down', difference: { object: 'enum public.account_kind', before: "'asset', 'liability'", after: "'asset', 'liability', 'equity'" } });
  });

  it('the example apps as they ship: every migration reversible', async () => {
    cpSync(join(ROOT, 'apps/ledger/migrations'), join(project.dir, 'ledger'), { recursive: true });
    project.writeConfig([
      { name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped' },
      { name: 'ledger', orm: 'mikro-orm', migrations: 'ledger/*.ts', naming: 'timestamped' },
    ]);
    const result = await verify(['--all']);
    expect(result.stdout).toMatch(/4 of 4 migration\(s\) reversible/);
    expect(result.code).toBe(0);
  });

  it("regression: a TypeORM migration using queryRunner.renameColumn applies after the plan of the same run (TypeORM's table cache no longer outlives the plan)", async () => {
    writeFileSync(
      join(project.migrations, '202401151600__chargebacks_rename_status.ts'),
      `import type { MigrationInterface, QueryRunner } from 'typeorm';
export class ChargebacksRenameStatus1705334400000 implements MigrationInterface {
  name = 'ChargebacksRenameStatus1705334400000';
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.renameColumn('chargebacks', 'status', 'state');
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.renameColumn('chargebacks', 'state', 'status');
  }
}
`,
    );
    const result = await verify(['--json', 'migrations/202401151600__chargebacks_rename_status.ts']);
    expect({ code: result.code, out: result.stdout }).toMatchObject({ code: 0 });
  });

  it('usage: a file no app lists is exit 2, and so is --all with files', async () => {
    writeFileSync(join(project.dir, 'stray.ts'), GOOD);
    expect((await verify(['stray.ts'])).code).toBe(2);
    expect((await verify(['--all', 'migrations/202401150900__create_chargebacks.ts'])).code).toBe(2);
    const help = await runMigrate(['verify', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--scratch-url <url>/);
  });
});
