import { join } from 'node:path';
import { ROOT, runMigrate } from '../support/cli';
import { createTestDatabase, urlFor, type TestDatabase } from '../support/database';
import { scratchProject } from '../support/scratch-project';

// docs/expand-contract.md, run: the chargebacks `reported_at` playbook, phase by phase, against a
// real database, with the old release's writes in between. Each phase's files lint clean and the
// whole chain passes verify.

const PLAYBOOK = join(ROOT, 'docs/expand-contract/migrations');
const name = (file: string) => file.replace(/\.ts$/, '');
const A = '202401151000__chargebacks_add_utr_reported_at';
const C = '202401151100__chargebacks_reported_at_dual_write';
const D1 = '202401151200__chargebacks_reported_at_check_not_valid';
const D2 = '202401151300__chargebacks_reported_at_set_not_null';
const E = '202401151400__chargebacks_reported_at_clean';

describe('the expand/contract playbook (docs/expand-contract.md)', () => {
  let db: TestDatabase;
  let project: ReturnType<typeof scratchProject>;
  const config = () => join(project.dir, 'migrate.config.json');
  const migrate = (args: string[]) => runMigrate(['--config', config(), ...args], { env: { DATABASE_URL: db.url }, cwd: project.dir, timeoutMs: 120_000 });
  const oldReleaseInserts = (n: number) => db.query(`insert into chargebacks (payment_id, amount_minor, currency, status) select gen_random_uuid(), g, 'EUR', 'open' from generate_series(1, ${n}) g`);
  const missing = async () => (await db.query<{ n: number }>(`select count(*)::int as n from chargebacks where reported_at is null`))[0].n;

  beforeEach(async () => {
    db = await createTestDatabase('playbook');
    project = scratchProject('playbook');
    project.writeConfig([
      { name: 'payments', orm: 'typeorm', migrations: ['migrations/*.ts', `${PLAYBOOK}/*.ts`], naming: 'timestamped', backfills: `${join(ROOT, 'apps/payments/backfills')}/*.backfill.ts` },
    ]);
  });
  afterEach(async () => {
    project.remove();
    await db.drop();
  });

  it('A add, B backfill, C dual write, D flip, E clean: each phase applies while the old release writes, and reported_at ends NOT NULL with every row filled', async () => {
    expect(name(A)).toBe(A);
    // the release before the change has rows
    expect((await migrate(['up', '--to', '202401150900__create_chargebacks'])).code).toBe(0);
    await oldReleaseInserts(300);
    // A
    expect((await migrate(['up', '--to', A])).code).toBe(0);
    await oldReleaseInserts(20);
    expect(await missing()).toBe(320);
    // B
    const backfill = await migrate(['backfill', 'chargebacks-reported-at', '--app', 'payments']);
    expect({ code: backfill.code, stderr: backfill.stderr }).toMatchObject({ code: 0 });
    expect(await missing()).toBe(0);
    // C: the old release keeps inserting without the column; the database fills it
    expect((await migrate(['up', '--to', C])).code).toBe(0);
    await oldReleaseInserts(5);
    expect(await missing()).toBe(0);
    // D and E: lint clean, then applied
    const lint = await migrate(['lint', '--json', join(PLAYBOOK, `${C}.ts`), join(PLAYBOOK, `${D1}.ts`), join(PLAYBOOK, `${D2}.ts`), join(PLAYBOOK, `${E}.ts`)]);
    expect((JSON.parse(lint.stdout) as { findings: { severity: string }[] }).findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(lint.code).toBe(0);
    const up = await migrate(['up', '--json']);
    expect({ code: up.code, stderr: up.stderr }).toMatchObject({ code: 0 });
    expect(await db.query(`select is_nullable from information_schema.columns where table_name = 'chargebacks' and column_name = 'reported_at'`)).toEqual([{ is_nullable: 'NO' }]);
    expect(await db.query(`select tgname from pg_trigger where tgname = 'chargebacks_fill_reported_at'`)).toEqual([]);
    // every phase's down() restores the schema its up() started from
    const verify = await migrate(['verify', '--all', '--scratch-url', urlFor('postgres')]);
    expect({ code: verify.code, out: verify.stdout }).toMatchObject({ code: 0 });
    expect(verify.stdout).toMatch(/6 of 6 migration\(s\) reversible/);
  });
});
