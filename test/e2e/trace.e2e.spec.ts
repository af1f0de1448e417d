import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { runMigrate, startMigrate } from '../support/cli';
import { createTestDatabase, urlFor, withClient, type TestDatabase } from '../support/database';
import { scratchProject } from '../support/scratch-project';
import { holdActive, holdInTransaction, sleep, waitFor } from '../support/sessions';

// One transactional migration with a statement of each kind the trace tells apart, and one
// CREATE INDEX CONCURRENTLY outside a transaction, pending on a chargebacks table with rows.
const TRANSACTIONAL = `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class TraceCases1705316400000 implements MigrationInterface {
  name = 'TraceCases1705316400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`ALTER TABLE "chargebacks" ALTER COLUMN "amount_minor" TYPE numeric\`);
    await queryRunner.query(\`ALTER TABLE "chargebacks" ALTER COLUMN "status" TYPE character varying(64)\`);
    await queryRunner.query(\`ALTER TABLE "chargebacks" ADD CONSTRAINT "chk_chargebacks_amount" CHECK ("amount_minor" >= 0)\`);
    await queryRunner.query(\`ALTER TABLE "chargebacks" ADD "note" text\`);
    await queryRunner.query(\`ALTER TABLE "chargebacks" ALTER COLUMN "note" SET NOT NULL\`);
    await queryRunner.query(\`CREATE INDEX "idx_chargebacks_currency" ON "chargebacks" ("currency")\`);
    await queryRunner.query(\`CREATE TABLE "disputes" ("id" bigint PRIMARY KEY, "chargeback_id" bigint)\`);
    await queryRunner.query(\`ALTER TABLE "disputes" ADD CONSTRAINT "fk_disputes_chargeback" FOREIGN KEY ("chargeback_id") REFERENCES "chargebacks" ("id")\`);
    await queryRunner.query(\`ALTER TABLE "chargebacks" ADD "memo" text\`);
    await queryRunner.query(\`ALTER TABLE "chargebacks" ADD CONSTRAINT "chk_chargebacks_memo" CHECK ("memo" IS NOT NULL) NOT VALID\`);
    await queryRunner.query(\`ALTER TABLE "chargebacks" VALIDATE CONSTRAINT "chk_chargebacks_memo"\`);
    await queryRunner.query(\`ALTER TABLE "chargebacks" ALTER COLUMN "memo" SET NOT NULL\`);
    await queryRunner.query(\`TRUNCATE "disputes"\`);
  }

  async down(): Promise<void> {}
}
`;

const CONCURRENT = `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class TraceConcurrent1705320000000 implements MigrationInterface {
  name = 'TraceConcurrent1705320000000';
  transaction = false as const;

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`CREATE INDEX CONCURRENTLY "idx_chargebacks_payment" ON "chargebacks" ("payment_id")\`);
  }

  async down(): Promise<void> {}
}
`;

interface TraceJson {
  statements: {
    app: string;
    migration: string;
    index: number;
    sql: string;
    transactional: boolean;
    locks: { relation: string; mode: string; blocks: string[] }[];
    rewrites: string[];
    scans: string[];
    relations: { name: string; rows: number; bytes: number; writesPerSecond: number | null }[];
    estimatedLockMs: number;
    writesWaiting: number;
    evidence: { pgLocks: { mode: string; relation: string; granted: boolean }[]; relfilenodes: { relation: string; before: number; after: number }[]; seqScans: { relation: string; seqScans: number }[]; observedHow: string; indexes: { index: string; valid: boolean; change: string }[]; constraints: { name: string; validated: boolean }[] };
    findings: { rule: string; trace: string; evidence: string }[];
    dangerous: boolean;
  }[];
  migrations: { migration: string; transactional: boolean; locks: { relation: string; mode: string }[]; estimatedLockMs: number }[];
  scratch: { major: number; source: string; note?: string };
  targets: { database: string; major: number }[];
  longTransactions: { transactions: { pid: number; applicationName: string }[] }[];
  lockHolders: { holders: { pid: number; relation: string; mode: string }[] }[];
  timings: Record<string, number>;
}

const admin = () => urlFor('postgres');
const scratchNames = () => withClient(admin(), async (c) => (await c.query<{ datname: string }>(`select datname from pg_database where datname like 'zdm\\_scratch\\_%'`)).rows.map((r) => r.datname));

describe('migrate plan --trace / migrate trace', () => {
  let db: TestDatabase;
  let project: ReturnType<typeof scratchProject>;
  let config: string;
  const ROWS = 20_000;
  const env = () => ({ DATABASE_URL: db.url, MIGRATION_LOCK_TIMEOUT: '500ms' });

  beforeAll(async () => {
    db = await createTestDatabase('trace');
    project = scratchProject('trace');
    rmSync(join(project.migrations, '202401151000__chargebacks_add_utr_reported_at.ts'));
    writeFileSync(join(project.migrations, '202401151100__trace_cases.ts'), TRANSACTIONAL);
    writeFileSync(join(project.migrations, '202401151200__trace_concurrent.ts'), CONCURRENT);
    project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts' }]);
    config = join(project.dir, 'migrate.config.json');
    const up = await runMigrate(['--config', config, 'up', '--to', '202401150900__create_chargebacks'], { env: env() });
    expect(up.code).toBe(0);
    await db.query(`insert into chargebacks (payment_id, amount_minor, currency, status) select gen_random_uuid(), i, 'USD', 'open' from generate_series(1, ${ROWS}) i`);
    await db.query('analyze chargebacks');
  }, 60_000);
  afterAll(async () => {
    project?.remove();
    await db?.drop();
  });

  const columns = async () => (await db.query<{ n: number }>(`select count(*)::int as n from information_schema.columns where table_name = 'chargebacks'`))[0].n;

  it('--json: locks, rewrites and scans as observed, the live table sizes and write rate, lint findings confirmed, the union held until COMMIT', async () => {
    const before = await columns();
    // an app writer, so the two samples of pg_stat_user_tables differ
    const writer = new Client({ connectionString: db.url, application_name: 'app-writer' });
    await writer.connect();
    let writing = true;
    const writes = (async () => {
      while (writing) {
        await writer.query(`insert into chargebacks (payment_id, amount_minor, currency, status) values (gen_random_uuid(), 1, 'EUR', 'open')`);
        await sleep(5);
      }
    })();
    let result;
    try {
      result = await runMigrate(['--config', config, 'plan', '--trace', '--json', '--scratch-url', admin(), '--sample', '2s'], { env: env() });
    } finally {
      writing = false;
      await writes;
      await writer.end();
    }
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    const trace = JSON.parse(result.stdout) as TraceJson;
    const statement = (pattern: RegExp) => {
      const found = trace.statements.find((s) => pattern.test(s.sql));
      if (!found) throw new Error(`no traced statement matches ${pattern}`);
      return found;
    };
    const lockOn = (s: TraceJson['statements'][number], table: string) => s.locks.find((l) => l.relation === `public.${table}`)?.mode;

    const retype = statement(/"amount_minor" TYPE numeric/);
    expect(retype.rewrites).toEqual(['public.chargebacks']);
    expect(lockOn(retype, 'chargebacks')).toBe('AccessExclusiveLock');
    expect(retype.locks.find((l) => l.relation === 'public.chargebacks')!.blocks).toEqual(['SELECT', 'INSERT/UPDATE/DELETE']);
    const node = retype.evidence.relfilenodes.find((r) => r.relation === 'public.chargebacks')!;
    expect(node.after).not.toBe(node.before);
    expect(retype.findings).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'changing-column-type', trace: 'confirmed', evidence: expect.stringMatching(/relfilenode of public\.chargebacks \d+ -> \d+/) })]));
    expect(retype.dangerous).toBe(true);

    const widen = statement(/"status" TYPE character varying\(64\)/);
    expect(widen.rewrites).toEqual([]);
    expect(widen.scans).toEqual([]);

    const check = statement(/ADD CONSTRAINT "chk_chargebacks_amount"/);
    expect(check.rewrites).toEqual([]);
    expect(check.scans).toEqual(['public.chargebacks']);
    expect(check.evidence.seqScans).toEqual([{ relation: 'public.chargebacks', seqScans: expect.any(Number) }]);
    expect(check.evidence.constraints).toEqual([expect.objectContaining({ name: 'chk_chargebacks_amount', validated: true, change: 'added' })]);
    expect(check.findings).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'constraint-missing-not-valid', trace: 'confirmed' })]));

    const addColumn = statement(/ADD "note" text/);
    expect(lockOn(addColumn, 'chargebacks')).toBe('AccessExclusiveLock');
    expect(addColumn.rewrites).toEqual([]);
    expect(addColumn.scans).toEqual([]);

    const setNotNull = statement(/"note" SET NOT NULL/);
    expect(setNotNull.scans).toEqual(['public.chargebacks']);

    const index = statement(/CREATE INDEX "idx_chargebacks_currency"/);
    expect(lockOn(index, 'chargebacks')).toBe('ShareLock');
    expect(index.locks.find((l) => l.relation === 'public.chargebacks')!.blocks).toEqual(['INSERT/UPDATE/DELETE']);
    expect(index.scans).toEqual(['public.chargebacks']);
    expect(index.findings).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'require-concurrent-index-creation', trace: 'confirmed' })]));

    const fk = statement(/FOREIGN KEY/);
    expect(lockOn(fk, 'chargebacks')).toBe('ShareRowExclusiveLock');
    expect(lockOn(fk, 'disputes')).toBe('ShareRowExclusiveLock');

    // a validated CHECK (memo IS NOT NULL) proves the column: SET NOT NULL reads nothing
    const validate = statement(/VALIDATE CONSTRAINT/);
    expect(lockOn(validate, 'chargebacks')).toBe('ShareUpdateExclusiveLock');
    expect(validate.scans).toEqual(['public.chargebacks']);
    expect(validate.evidence.constraints).toEqual([expect.objectContaining({ name: 'chk_chargebacks_memo', validated: true, change: 'validated' })]);
    const proven = statement(/"memo" SET NOT NULL/);
    expect(proven.scans).toEqual([]);
    expect(lockOn(proven, 'chargebacks')).toBe('AccessExclusiveLock');

    const truncate = statement(/^TRUNCATE/);
    expect(lockOn(truncate, 'disputes')).toBe('AccessExclusiveLock');
    expect(truncate.rewrites).toEqual([]);

    const concurrent = statement(/CREATE INDEX CONCURRENTLY/);
    expect(concurrent.transactional).toBe(false);
    expect(concurrent.evidence.observedHow).toBe('second session');
    expect(lockOn(concurrent, 'chargebacks')).toBe('ShareUpdateExclusiveLock');
    expect(concurrent.locks.find((l) => l.relation === 'public.chargebacks')!.blocks).toEqual([]);
    expect(concurrent.evidence.indexes).toEqual(expect.arrayContaining([expect.objectContaining({ index: 'public.idx_chargebacks_payment', valid: true, change: 'created' })]));
    expect(concurrent.dangerous).toBe(false);

    // the real run holds every lock of the transactional migration until its COMMIT
    const held = trace.migrations.find((m) => m.migration === '202401151100__trace_cases')!;
    expect(held.transactional).toBe(true);
    expect(held.locks).toEqual(expect.arrayContaining([{ relation: 'public.chargebacks', mode: 'AccessExclusiveLock', blocks: ['SELECT', 'INSERT/UPDATE/DELETE'] }, expect.objectContaining({ relation: 'public.disputes' })]));

    // the live table: rows from pg_class.reltuples, bytes from relpages, writes from two samples
    const live = retype.relations.find((r) => r.name === 'public.chargebacks')!;
    expect(live.rows).toBeGreaterThanOrEqual(ROWS * 0.8);
    expect(live.rows).toBeLessThanOrEqual(ROWS * 1.5);
    const [{ pages, block }] = await db.query<{ pages: number; block: number }>(`select relpages::int as pages, current_setting('block_size')::int as block from pg_class where relname = 'chargebacks'`);
    expect(live.bytes).toBe(pages * block);
    expect(live.writesPerSecond).toBeGreaterThan(0);
    // a rewrite of 20,000 rows is estimated above what the empty scratch table took
    expect(retype.estimatedLockMs).toBeGreaterThan(addColumn.estimatedLockMs);
    expect(retype.writesWaiting).toBeGreaterThanOrEqual(0);
    // the disputes table is created by the run: absent on the target, no hazard
    expect(fk.relations.find((r) => r.name === 'public.disputes')).toEqual(expect.objectContaining({ rows: 0, bytes: 0 }));

    expect(trace.scratch.major).toBe(trace.targets[0].major);
    expect(trace.scratch.note).toBeUndefined();
    expect(Object.keys(trace.timings)).toEqual(expect.arrayContaining(['serverStartMs', 'replayMs', 'traceMs', 'catalogMs']));
    // nothing changed on the target, and the scratch databases are gone
    expect(await columns()).toBe(before);
    expect((await db.query(`select to_regclass('public.disputes') as t`))[0].t).toBeNull();
    expect((await db.query<{ n: number }>(`select count(*)::int as n from pg_indexes where tablename = 'chargebacks'`))[0].n).toBe(1);
  }, 90_000);

  it('text: one line a statement, the dangerous ones first, a long transaction on the target named, the scratch major said', async () => {
    const reader = await holdActive(db.url, 60, 'nightly-report');
    try {
      await sleep(800);
      const result = await runMigrate(['--config', config, 'trace', '--sample', '200ms'], { env: env() });
      expect(result.code).toBe(0);
      const lines = result.stdout.trim().split('\n');
      const target = Number((await db.query<{ v: string }>(`select current_setting('server_version_num') as v`))[0].v.slice(0, 2));
      expect(lines[0]).toMatch(new RegExp(`-- trace of 2 migration\\(s\\), 14 statement\\(s\\), on .* \\(PostgreSQL ${target}\\); observed on a scratch database \\(PostgreSQL (\\d+), embedded\\)`));
      const scratchMajor = Number(/scratch database \(PostgreSQL (\d+)/.exec(lines[0])![1]);
      expect(lines.some((l) => l.startsWith('-- note: the scratch server is PostgreSQL'))).toBe(scratchMajor !== target);
      const dangerHeader = lines.findIndex((l) => l.startsWith('-- dangerous first:'));
      const everyHeader = lines.indexOf('-- every statement:');
      expect(dangerHeader).toBeGreaterThan(0);
      const dangerous = lines.slice(dangerHeader + 1, everyHeader);
      expect(dangerous[0]).toMatch(/^!! payments 202401151100__trace_cases #1: .*"amount_minor" TYPE numeric .*rewrites public\.chargebacks .*lock held ~\d+ (ms|s) \(estimate\).*lint: changing-column-type confirmed/);
      expect(dangerous.every((l) => l.startsWith('!! '))).toBe(true);
      const every = lines.slice(everyHeader + 1, everyHeader + 15);
      expect(every).toHaveLength(14);
      expect(every.every((l) => /^(!!|ok) payments /.test(l))).toBe(true);
      expect(every.find((l) => /CONCURRENTLY/.test(l))).toMatch(/^ok .*ShareUpdateExclusiveLock on public\.chargebacks \(blocks neither reads nor writes\)/);
      expect(result.stdout).toMatch(/202401151100__trace_cases runs in one transaction: until its COMMIT it holds .*AccessExclusiveLock on public\.chargebacks/);
      expect(result.stdout).toMatch(new RegExp(`-- waits: .*pid ${reader.pid} \\(nightly-report, active\\) has a transaction open for .*longer than the lock timeout: the DDL would queue behind it`));
      expect(result.stdout).toMatch(/times: scratch server \d+ ms, replay \d+ ms, calibration \d+ ms, trace \d+ ms, catalog \d+ ms/);
    } finally {
      await reader.release();
    }
  }, 90_000);

  it('finishes while another session holds ACCESS EXCLUSIVE on the target table, and leaves that lock alone', async () => {
    const holder = await holdInTransaction(db.url, 'lock table chargebacks in access exclusive mode', 'app-maintenance');
    try {
      const result = await runMigrate(['--config', config, 'trace', '--json', '--scratch-url', admin(), '--sample', '200ms', join(project.migrations, '202401151200__trace_concurrent.ts')], { env: env(), timeoutMs: 30_000 });
      expect(result.code).toBe(0);
      expect(result.ms).toBeLessThan(30_000);
      const trace = JSON.parse(result.stdout) as TraceJson;
      expect(trace.statements.map((s) => s.migration)).toEqual(['202401151200__trace_concurrent']);
      expect(trace.statements[0].relations[0]).toEqual(expect.objectContaining({ name: 'public.chargebacks', rows: expect.any(Number) }));
      expect(trace.statements[0].relations[0].rows).toBeGreaterThanOrEqual(ROWS * 0.8);
      expect(trace.lockHolders[0].holders).toEqual([expect.objectContaining({ pid: holder.pid, relation: 'public.chargebacks', mode: 'AccessExclusiveLock' })]);
      const still = await db.query<{ n: number }>(`select count(*)::int as n from pg_locks where pid = $1 and relation = 'chargebacks'::regclass and mode = 'AccessExclusiveLock' and granted`, [holder.pid]);
      expect(still[0].n).toBe(1);
    } finally {
      await holder.release();
    }
  }, 60_000);

  it('Ctrl-C: the scratch databases it created are dropped, exit 130', async () => {
    const before = new Set(await scratchNames());
    const run = startMigrate(['--config', config, 'trace', '--scratch-url', admin(), '--sample', '20s'], { env: env() });
    const mine = await waitFor(async () => {
      const now = (await scratchNames()).filter((n) => !before.has(n));
      return now.length >= 2 && now;
    }, 30_000);
    await sleep(300);
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    const left = await scratchNames();
    expect(left.filter((n) => mine.includes(n))).toEqual([]);
  }, 60_000);

  it('--help names the options; plan takes trace options only with --trace', async () => {
    const help = await runMigrate(['trace', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--scratch-url <url>/);
    expect(help.stdout).toMatch(/--sample <duration>/);
    expect(help.stdout).toMatch(/--format <format>/);
    expect((await runMigrate(['plan', '--help'])).stdout).toMatch(/--trace/);
    const refused = await runMigrate(['--config', config, 'plan', '--sample', '1s'], { env: env() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/go with --trace/);
  }, 30_000);
});
