import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runMigrate } from '../support/cli';
import { createTestDatabase, urlFor, type TestDatabase } from '../support/database';
import { scratchProject } from '../support/scratch-project';

// `migrate generate --template`: the safe multi-step files of the common changes. Each template's
// output lints clean (no error finding), passes `verify` (every down() restores the schema), and
// applies on a database that has the payments tables.

interface Finding {
  severity: string;
  rule: string;
  file: string;
}

describe('migrate generate --template', () => {
  let db: TestDatabase;
  let project: ReturnType<typeof scratchProject>;
  const config = () => join(project.dir, 'migrate.config.json');
  const migrate = (args: string[]) => runMigrate(['--config', config(), ...args], { env: { DATABASE_URL: db.url }, cwd: project.dir, timeoutMs: 120_000 });
  const generated = (before: string[]) => readdirSync(project.migrations).filter((f) => !before.includes(f)).map((f) => join('migrations', f));

  beforeEach(async () => {
    db = await createTestDatabase('templates');
    project = scratchProject('templates');
    project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped', backfills: 'backfills/*.backfill.ts' }]);
  });
  afterEach(async () => {
    project.remove();
    await db.drop();
  });

  /** Generates, then lints the new files by path, verifies every migration, and applies them. */
  async function generateAndCheck(description: string, args: string[], expectedFiles: number): Promise<string[]> {
    const before = readdirSync(project.migrations);
    const result = await migrate(['generate', description, '--app', 'payments', ...args]);
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
    const files = generated(before);
    expect(files).toHaveLength(expectedFiles);
    const lint = await migrate(['lint', '--json', ...files]);
    const findings = (JSON.parse(lint.stdout) as { findings: Finding[] }).findings;
    expect({ description, errors: findings.filter((f) => f.severity === 'error') }).toEqual({ description, errors: [] });
    expect(lint.code).toBe(0);
    const verify = await migrate(['verify', '--all', '--scratch-url', urlFor('postgres')]);
    expect({ description, code: verify.code, out: verify.stdout }).toEqual({ description, code: 0, out: expect.stringMatching(/reversible/) });
    const up = await migrate(['up']);
    expect({ description, code: up.code, stderr: up.stderr }).toMatchObject({ description, code: 0 });
    return files;
  }

  it('add-column, add-index (CONCURRENTLY, outside a transaction) and add-foreign-key (NOT VALID, then VALIDATE)', async () => {
    await generateAndCheck('chargebacks_add_parent', ['--template', 'add-column', '--table', 'chargebacks', '--column', 'parent_id', '--type', 'bigint'], 1);
    const [index] = await generateAndCheck('chargebacks_index_status', ['--template', 'add-index', '--table', 'chargebacks', '--column', 'status'], 1);
    const source = readFileSync(join(project.dir, index), 'utf8');
    expect(source).toContain('transaction = false as const');
    expect(source).toContain('CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_chargebacks_status"');
    const fk = await generateAndCheck('chargebacks_parent_fk', ['--template', 'add-foreign-key', '--table', 'chargebacks', '--column', 'parent_id', '--references', 'chargebacks(id)'], 2);
    expect(readFileSync(join(project.dir, fk[0]), 'utf8')).toMatch(/FOREIGN KEY \("parent_id"\) REFERENCES "chargebacks" \("id"\) NOT VALID/);
    expect(readFileSync(join(project.dir, fk[1]), 'utf8')).toMatch(/VALIDATE CONSTRAINT "fk_chargebacks_parent_id"/);
    expect(await db.query(`select convalidated from pg_constraint where conname = 'fk_chargebacks_parent_id'`)).toEqual([{ convalidated: true }]);
  });

  it('add-not-null: CHECK NOT VALID, then VALIDATE and SET NOT NULL, with no table scan under an exclusive lock', async () => {
    const files = await generateAndCheck('chargebacks_utr_not_null', ['--template', 'add-not-null', '--table', 'chargebacks', '--column', 'utr'], 2);
    expect(readFileSync(join(project.dir, files[0]), 'utf8')).toContain('CHECK ("utr" IS NOT NULL) NOT VALID');
    const second = readFileSync(join(project.dir, files[1]), 'utf8');
    expect(second.indexOf('VALIDATE CONSTRAINT')).toBeLessThan(second.indexOf('SET NOT NULL'));
    expect(await db.query(`select is_nullable from information_schema.columns where table_name = 'chargebacks' and column_name = 'utr'`)).toEqual([{ is_nullable: 'NO' }]);
  });

  it('rename-column: a new column, a trigger that keeps both equal while two releases run, a backfill job, and a later contract migration', async () => {
    await migrate(['up']);
    await db.query(`insert into chargebacks (payment_id, amount_minor, currency, status, utr) select gen_random_uuid(), g, 'EUR', 'open', 'U' || g from generate_series(1, 50) g`);
    const files = await generateAndCheck('chargebacks_rename_utr', ['--template', 'rename-column', '--table', 'chargebacks', '--column', 'utr', '--to', 'utr_reference', '--type', 'character varying(64)'], 2);
    expect(files.map((f) => f.replace(/^migrations\/\d{12}__/, ''))).toEqual(['chargebacks_rename_utr_expand.ts', 'chargebacks_rename_utr_contract.ts']);
    const backfills = readdirSync(join(project.dir, 'backfills'));
    expect(backfills).toEqual(['chargebacks-utr-reference.backfill.ts']);
    // the test applied the contract step too; back to the expand state, where both releases write:
    expect((await migrate(['down', '--app', 'payments'])).code).toBe(0);
    await db.query(`insert into chargebacks (payment_id, amount_minor, currency, status, utr) values (gen_random_uuid(), 1, 'EUR', 'open', 'OLD-WRITER')`);
    await db.query(`insert into chargebacks (payment_id, amount_minor, currency, status, utr_reference) values (gen_random_uuid(), 2, 'EUR', 'open', 'NEW-WRITER')`);
    await db.query(`update chargebacks set utr_reference = 'RENAMED' where utr = 'OLD-WRITER'`);
    expect(await db.query(`select utr, utr_reference from chargebacks where utr in ('NEW-WRITER', 'RENAMED') order by utr`)).toEqual([
      { utr: 'NEW-WRITER', utr_reference: 'NEW-WRITER' },
      { utr: 'RENAMED', utr_reference: 'RENAMED' },
    ]);
    // rows written before the expand step have only the old column: the backfill copies them
    await db.query(`alter table chargebacks disable trigger user; update chargebacks set utr = 'B' || id where utr is null; alter table chargebacks enable trigger user`);
    expect(await db.query(`select count(*)::int as n from chargebacks where utr_reference is null`)).toEqual([{ n: 50 }]);
    const backfill = await migrate(['backfill', 'chargebacks-utr-reference', '--app', 'payments']);
    expect({ code: backfill.code, stderr: backfill.stderr }).toMatchObject({ code: 0 });
    expect(await db.query(`select count(*)::int as n from chargebacks where utr_reference is distinct from utr`)).toEqual([{ n: 0 }]);
  });

  it('change-type: the new column of the new type, kept equal by the trigger; the contract down() brings back the old type and index the target has; a MikroORM app gets its own file shape', async () => {
    await migrate(['up']);
    const [, contract] = await generateAndCheck('chargebacks_utr_as_text', ['--template', 'change-type', '--table', 'chargebacks', '--column', 'utr', '--to', 'utr_text', '--type', 'text'], 2);
    const down = readFileSync(join(project.dir, contract), 'utf8').split('async down')[1];
    expect(down).toContain('ADD COLUMN "utr" character varying(64)');
    expect(down).toContain('CREATE INDEX idx_chargebacks_utr ON public.chargebacks USING btree (utr)');
    cpSync(join(ROOT, 'apps/ledger/migrations'), join(project.dir, 'ledger'), { recursive: true });
    project.writeConfig([{ name: 'ledger', orm: 'mikro-orm', migrations: 'ledger/*.ts', naming: 'timestamped' }]);
    const result = await migrate(['generate', 'ledger_entries_index_account', '--app', 'ledger', '--template', 'add-index', '--table', 'ledger_entries', '--column', 'external_ref,id']);
    expect(result.code).toBe(0);
    const file = readdirSync(join(project.dir, 'ledger')).find((f) => f.endsWith('__ledger_entries_index_account.ts'))!;
    const source = readFileSync(join(project.dir, 'ledger', file), 'utf8');
    expect(source).toMatch(/extends Migration \{\n {2}\/\/ CONCURRENTLY cannot run inside a transaction\n {2}override isTransactional\(\): boolean \{\n {4}return false;/);
    expect((await migrate(['verify', '--all', '--scratch-url', urlFor('postgres')])).code).toBe(0);
    expect((await migrate(['up'])).code).toBe(0);
  });

  it('a template that misses what it needs is a usage error naming the flags', async () => {
    const result = await migrate(['generate', 'x_y', '--app', 'payments', '--template', 'rename-column', '--table', 'chargebacks']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--template rename-column needs --column, --to, --type/);
  });
});
