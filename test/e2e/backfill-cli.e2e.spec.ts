import { runMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';

describe('migrate backfill', () => {
  let db: TestDatabase;
  const env = () => ({ DATABASE_URL: db.url });
  beforeAll(async () => {
    db = await createTestDatabase('backfill_cli');
    expect((await runMigrate(['up'], { env: env() })).code).toBe(0);
    await db.query(`insert into chargebacks (payment_id, amount_minor, currency, status) select gen_random_uuid(), i, 'USD', 'open' from generate_series(1, 20000) i`);
  });
  afterAll(() => db.drop());

  it('names the registered jobs when asked for one that is not', async () => {
    const result = await runMigrate(['backfill', 'no-such-job'], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no backfill job named "no-such-job": the registered jobs are chargebacks-reported-at, ledger-entries-external-ref/);
  });

  it('runs a job to the end, with progress lines off a terminal and the result on stdout', async () => {
    const result = await runMigrate(['backfill', 'chargebacks-reported-at', '--batch-size', '2000'], { env: env() });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^chargebacks-reported-at: done, 20000 rows in \d+\.\d s \(\d+ rows\/s\)$/m);
    expect(result.stderr).toMatch(/chargebacks-reported-at: \d+ of ~20000 \(\d+%\) rows, \d+ rows\/s, ETA/);
    expect((await db.query<{ n: number }>(`select count(*)::int as n from chargebacks where reported_at is distinct from created_at`))[0].n).toBe(0);
  });

  it('lists every job and its progress with --status --json', async () => {
    const result = await runMigrate(['backfill', '--status', '--json'], { env: env() });
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc.registered).toEqual(['chargebacks-reported-at', 'ledger-entries-external-ref']);
    expect(doc.progress).toEqual([expect.objectContaining({ job: 'chargebacks-reported-at', status: 'done', rowsDone: 20000 })]);
  });

  it('backfill --status printed a sentence per range, with no header and nothing aligned', async () => {
    const result = await runMigrate(['backfill', '--status'], { env: env() });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('registered jobs: chargebacks-reported-at, ledger-entries-external-ref');
    expect(lines[1]).toMatch(/^APP +JOB +RANGE +KEYS +STATUS +ROWS +AT KEY +UPDATED +OWNER/);
    expect(lines[2]).toMatch(/chargebacks-reported-at +0 +\d+\.\.\d+ +done +20000 of ~20000 +\d+ +\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(lines[2].indexOf('done')).toBe(lines[1].indexOf('STATUS'));
  });
});
