import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyNames, indexState, tableExists } from '../support/catalog';
import { runMigrate, startMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { scratchProject } from '../support/scratch-project';
import { holdActive, holdInTransaction, waitFor } from '../support/sessions';

/** A TypeORM migration whose up() runs the given statements, one query() call each. */
function typeormMigration(className: string, up: string[], options: { transaction?: boolean; down?: string[]; body?: string } = {}): string {
  const calls = (sqls: string[]) => sqls.map((sql) => `    await q.query(${JSON.stringify(sql)});`).join('\n');
  return `import type { MigrationInterface, QueryRunner } from 'typeorm';
export class ${className} implements MigrationInterface {
  name = '${className}';
  ${options.transaction === false ? 'transaction = false as const;' : ''}
  async up(q: QueryRunner): Promise<void> {
${options.body ?? calls(up)}
  }
  async down(q: QueryRunner): Promise<void> {
${calls(options.down ?? [])}
  }
}
`;
}

describe('faults production really has', () => {
  let db: TestDatabase;
  let project: ReturnType<typeof scratchProject>;
  const env = () => ({ DATABASE_URL: db.url, MIGRATION_LOCK_TIMEOUT: '200ms' });
  const add = (file: string, source: string) => writeFileSync(join(project.migrations, file), source);

  beforeEach(async () => {
    db = await createTestDatabase('hardening');
    project = scratchProject('hardening');
    rmSync(project.migrations, { recursive: true, force: true });
    mkdirSync(project.migrations);
    project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: ['migrations/*.ts'] }]);
  });
  afterEach(async () => {
    project.remove();
    await db.drop();
  });
  const up = (args: string[] = [], extra: Record<string, string> = {}) => runMigrate(['--config', join(project.dir, 'migrate.config.json'), 'up', ...args], { env: { ...env(), ...extra } });
  const cli = (args: string[], extra: Record<string, string> = {}) => runMigrate(['--config', join(project.dir, 'migrate.config.json'), ...args], { env: { ...env(), ...extra } });

  it('a resume that forgot: a non-transactional migration failing twice at its last statement runs its first statements once, DDL and DML alike', async () => {
    add(
      '1700000000001-resume.ts',
      typeormMigration('Resume1700000000001', ['create table resumed (id int)', 'insert into resumed values (1)', 'alter table not_yet_there add column x int'], { transaction: false }),
    );
    for (let attempt = 1; attempt <= 2; attempt++) {
      const failed = await up();
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/relation "not_yet_there" does not exist/);
    }
    const status = await cli(['status', '--json']);
    expect(JSON.parse(status.stdout).apps[0].migrations[0]).toMatchObject({ state: 'pending', partial: true });
    await db.query('create table not_yet_there (id int)');
    const third = await up();
    expect(third.stderr).not.toMatch(/already exists/);
    expect(third.code).toBe(0);
    expect(await db.query('select id from resumed')).toEqual([{ id: 1 }]);
    expect(await historyNames(db, 'migrations')).toEqual(['Resume1700000000001']);
  });

  it('a COMMIT inside a transactional migration is refused before anything runs, by up and by plan (exit 2, file and statement); lint reports it', async () => {
    add('1700000000002-commits.ts', typeormMigration('Commits1700000000002', ['create table half_applied (id int)', 'commit', 'alter table nowhere add column x int']));
    const result = await up();
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/1700000000002-commits\.ts: payments\/1700000000002-commits runs "commit" inside its transaction/);
    expect(await tableExists(db, 'half_applied')).toBe(false);
    expect((await cli(['plan'])).code).toBe(2);
    const lint = await cli(['lint', '--json']);
    expect(lint.code).toBe(5);
    expect(JSON.parse(lint.stdout).findings).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'transaction-control-in-migration', severity: 'error' })]));
  });

  it("TypeORM's own savepoints inside a transactional migration stay allowed", async () => {
    add(
      '1700000000003-savepoints.ts',
      typeormMigration('Savepoints1700000000003', [], {
        body: `    await q.query('create table with_savepoint (id int)');
    await q.startTransaction();
    await q.query('insert into with_savepoint values (1)');
    await q.commitTransaction();`,
      }),
    );
    const result = await up();
    expect(result.code).toBe(0);
    expect(await db.query('select id from with_savepoint')).toEqual([{ id: 1 }]);
  });

  it('a non-transactional migration may run its own BEGIN ... COMMIT block; one it never ends is rolled back and fails', async () => {
    add('1700000000004-own-block.ts', typeormMigration('OwnBlock1700000000004', ['create table blocks (id int)', 'begin', 'insert into blocks values (1)', 'insert into blocks values (2)', 'commit'], { transaction: false }));
    expect((await up()).code).toBe(0);
    expect(await db.query('select count(*)::int as n from blocks')).toEqual([{ n: 2 }]);
    add('1700000000005-open-block.ts', typeormMigration('OpenBlock1700000000005', ['begin', 'insert into blocks values (3)'], { transaction: false }));
    const open = await up();
    expect(open.code).toBe(1);
    expect(open.stderr).toMatch(/began a transaction \(BEGIN\) and never ended it/);
    expect(await db.query('select count(*)::int as n from blocks')).toEqual([{ n: 2 }]);
  });

  it('a migration that sets lock_timeout = 0 and statement_timeout = 0 still meets the runner\'s lock timeout: it fails fast instead of queueing behind a reader', async () => {
    add('1700000000006-table.ts', typeormMigration('Table1700000000006', ['create table busy (id int)']));
    expect((await up()).code).toBe(0);
    add('1700000000007-unsafe.ts', typeormMigration('Unsafe1700000000007', ['SET lock_timeout = 0; SET statement_timeout = 0', 'alter table busy add column note text']));
    const reader = await holdInTransaction(db.url, 'select * from busy');
    try {
      const started = Date.now();
      const result = await up([], { MIGRATION_LOCK_RETRIES: '2', MIGRATION_TIMEOUT: '20s' });
      expect(result.code).toBe(1);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(result.stderr).toMatch(/lock was not granted in 2 attempts of lock_timeout 200 ms/);
    } finally {
      await reader.release();
    }
    const [row] = await db.query<{ lock_wait_ms: number; error: string }>(`select lock_wait_ms, error from migration_runs where status = 'failed'`);
    // what the attempts went through is kept on failure, not dropped to zero
    expect(row.lock_wait_ms).toBeGreaterThan(150);
  });

  it('SET search_path in one migration does not leak into the next one', async () => {
    await db.query('create schema elsewhere');
    add('1700000000008-path.ts', typeormMigration('Path1700000000008', ['set search_path to elsewhere, public', 'create table in_elsewhere (id int)']));
    add('1700000000009-next.ts', typeormMigration('Next1700000000009', ['create table in_public (id int)']));
    expect((await up()).code).toBe(0);
    const rows = await db.query<{ schema: string; name: string }>(`select table_schema as schema, table_name as name from information_schema.tables where table_name in ('in_elsewhere', 'in_public') order by 2`);
    expect(rows).toEqual([
      { schema: 'elsewhere', name: 'in_elsewhere' },
      { schema: 'public', name: 'in_public' },
    ]);
  });

  it('a run killed with kill -9 stays "running" no more: the next run marks it abandoned, with the time', async () => {
    add('1700000000010-slow.ts', typeormMigration('Slow1700000000010', ["create table slow_done as select pg_sleep(case when to_regclass('go_fast') is null then 30 else 0 end)::text as x"]));
    const run = startMigrate(['--config', join(project.dir, 'migrate.config.json'), 'up'], { env: env() });
    await waitFor(async () => (await db.query(`select 1 from pg_stat_activity where query like 'create table slow_done%' and datname = current_database()`)).length > 0);
    run.child.kill('SIGKILL');
    await run.done;
    expect(await db.query(`select status from migration_runs`)).toEqual([{ status: 'running' }]);
    await db.query('create table go_fast (id int)');
    // the killed client's backend would sleep on (client_connection_check_interval = 0): end it as an operator would
    await db.query(`select pg_terminate_backend(pid) from pg_stat_activity where query like 'create table slow_done%' and datname = current_database()`);
    const next = await up();
    expect(next.code).toBe(0);
    expect(next.stderr).toMatch(/marked abandoned: payments\/1700000000010-slow/);
    const [row] = await db.query<{ status: string; finished_at: Date | null }>(`select status, finished_at from migration_runs order by id limit 1`);
    expect(row.status).toBe('abandoned');
    expect(row.finished_at).toBeInstanceOf(Date);
  });

  it('a killed runner leaves no statement running without it: the server ends it within the client check interval (PostgreSQL 14+)', async () => {
    const [{ num }] = await db.query<{ num: string }>(`select current_setting('server_version_num') as num`);
    if (Number(num) < 140000) return; // PostgreSQL 13 has no client_connection_check_interval: the README says so
    add('1700000000015-orphan.ts', typeormMigration('Orphan1700000000015', ['create table orphaned as select pg_sleep(30)::text as x']));
    const run = startMigrate(['--config', join(project.dir, 'migrate.config.json'), 'up'], { env: env() });
    const running = `select 1 from pg_stat_activity where query like 'create table orphaned%' and datname = current_database()`;
    await waitFor(async () => (await db.query(running)).length > 0);
    run.child.kill('SIGKILL');
    await run.done;
    const killedAt = Date.now();
    await waitFor(async () => (await db.query(running)).length === 0, 10_000);
    expect(Date.now() - killedAt).toBeLessThan(5_000);
  });

  it("a migration whose own code never finishes fails at the time limit instead of holding the run lock for good", async () => {
    add('1700000000016-hangs.ts', typeormMigration('Hangs1700000000016', [], { body: `    await q.query('create table before_the_hang (id int)');\n    await new Promise(() => undefined);` }));
    const result = await up(['--no-revert-on-failure'], { MIGRATION_TIMEOUT: '1s' });
    expect(result.code).toBe(1);
    expect(result.ms).toBeLessThan(20_000);
    expect(result.stderr).toMatch(/did not finish within the time limit/);
    expect(await tableExists(db, 'before_the_hang')).toBe(false);
  });

  it('a run log the first release made (v1, no "abandoned" status) is upgraded under the run lock', async () => {
    await db.query(`create table migration_runs (
        id bigint generated always as identity primary key, run_id uuid not null, app text not null, migration text not null,
        direction text not null check (direction in ('up', 'down', 'baseline')),
        status text not null check (status in ('running', 'succeeded', 'failed')),
        started_at timestamptz not null default now(), finished_at timestamptz, duration_ms integer, checksum text, history_name text,
        transactional boolean, error text, retries integer not null default 0, lock_wait_ms integer, statements jsonb not null default '[]',
        host text, git_sha text, command text);
      comment on table migration_runs is 'zdm run log v1';
      insert into migration_runs (run_id, app, migration, direction, status) values (gen_random_uuid(), 'payments', 'gone', 'up', 'running')`);
    add('1700000000017-any.ts', typeormMigration('Any1700000000017', ['create table after_upgrade (id int)']));
    const result = await up();
    expect(result.code).toBe(0);
    expect(await db.query(`select status from migration_runs where migration = 'gone'`)).toEqual([{ status: 'abandoned' }]);
    expect(await db.query(`select obj_description('migration_runs'::regclass, 'pg_class') as comment`)).toEqual([{ comment: 'zdm run log v4' }]);
  });

  it('SIGTERM while a migration runs its own code between statements stops the run there (was: the run went on and exited 0)', async () => {
    add(
      '1700000000018-pause.ts',
      typeormMigration('Pause1700000000018', [], {
        body: `    await q.query('create table before_pause (id int)');\n    await new Promise((done) => setTimeout(done, 3000));\n    await q.query('create table after_pause (id int)');`,
      }),
    );
    add('1700000000019-next.ts', typeormMigration('Next1700000000019', ['create table next_one (id int)']));
    const run = startMigrate(['--config', join(project.dir, 'migrate.config.json'), 'up'], { env: env() });
    await waitFor(async () => (await db.query(`select 1 from migration_runs where migration = '1700000000018-pause' and status = 'running'`).catch(() => [])).length > 0);
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code).toBe(143);
    for (const table of ['before_pause', 'after_pause', 'next_one']) expect(await tableExists(db, table)).toBe(false);
    expect(await historyNames(db, 'migrations')).toEqual([]);
  });

  it('the run lock\'s connection lost mid-run stops the run at once: no statement more, no overlap with the next run', async () => {
    add('1700000000022-long.ts', typeormMigration('Long1700000000022', ['create table while_locked as select pg_sleep(10)::text as x']));
    add('1700000000023-next.ts', typeormMigration('Next1700000000023', ['create table after_lock_lost (id int)']));
    const run = startMigrate(['--config', join(project.dir, 'migrate.config.json'), 'up'], { env: env() });
    await waitFor(async () => (await db.query(`select 1 from pg_stat_activity where query like 'create table while_locked%' and datname = current_database()`)).length > 0);
    await db.query(`select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())`);
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the connection holding the run lock on .* was lost, so another run could start: this run stopped/);
    expect(result.ms).toBeLessThan(9_000);
    expect(await tableExists(db, 'while_locked')).toBe(false);
    expect(await tableExists(db, 'after_lock_lost')).toBe(false);
  });

  it('a connection lost mid-migration names host:port and says the transaction was rolled back', async () => {
    add('1700000000011-long.ts', typeormMigration('Long1700000000011', ['create table lost (id int)', 'create table lost_too as select pg_sleep(20)::text as x']));
    const run = startMigrate(['--config', join(project.dir, 'migrate.config.json'), 'up'], { env: env() });
    await waitFor(async () => (await db.query(`select 1 from pg_stat_activity where query like 'create table lost_too%' and datname = current_database()`)).length > 0);
    await db.query(`select pg_terminate_backend(pid) from pg_stat_activity where query like 'create table lost_too%' and datname = current_database()`);
    const result = await run.done;
    expect(result.code).toBe(1);
    const { port, hostname } = new URL(db.url);
    expect(result.stderr).toContain(`the connection to ${hostname}:${port} was lost`);
    expect(result.stderr).toMatch(/its transaction was rolled back by the server: nothing of this migration is applied/);
    expect(await tableExists(db, 'lost')).toBe(false);
  }, 60_000);

  it('an applied migration whose file was deleted shows as missing; --exit-code stays 0 for it (a newer release ran first), --strict counts it', async () => {
    add('1700000000012-a.ts', typeormMigration('A1700000000012', ['create table ma (id int)']));
    add('1700000000013-b.ts', typeormMigration('B1700000000013', ['create table mb (id int)']));
    expect((await up()).code).toBe(0);
    rmSync(join(project.migrations, '1700000000013-b.ts'));
    const status = await cli(['status']);
    expect(status.stdout).toMatch(/missing\s+1700000000013-b/);
    expect((await cli(['status', '--exit-code'])).code).toBe(0);
    const strict = await cli(['status', '--exit-code', '--strict', '--json']);
    expect(strict.code).toBe(6);
    expect(JSON.parse(strict.stdout).unready).toEqual([{ app: 'payments', migration: '1700000000013-b', state: 'missing' }]);
    add('1700000000014-c.ts', typeormMigration('C1700000000014', ['create table mc (id int)']));
    const pending = await cli(['status', '--exit-code', '--json']);
    expect(pending.code).toBe(6);
    expect(JSON.parse(pending.stdout).unready).toEqual([{ app: 'payments', migration: '1700000000014-c', state: 'pending' }]);
  });

  describe('an orphaned index build (kill -9 during CREATE INDEX CONCURRENTLY)', () => {
    const cic = (ifNotExists: boolean) =>
      typeormMigration('Index1700000000021', [`create index concurrently ${ifNotExists ? 'if not exists ' : ''}idx_orphan_note on orphan (lower(note)) where note is not null`], {
        transaction: false,
        down: ['drop index concurrently if exists idx_orphan_note'],
      });

    beforeEach(async () => {
      add('1700000000020-table.ts', typeormMigration('Table1700000000020', ['create table orphan (id int primary key, note text)', "insert into orphan select i, 'n' || i from generate_series(1, 1000) i"]));
      expect((await up()).code).toBe(0);
    });

    it('the next up waits for the build still running, then takes the finished VALID index as the statement done (was: 42P07 on every run)', async () => {
      add('1700000000021-index.ts', cic(false));
      // an older transaction holds a snapshot, so the build waits in its last phase: long enough to kill the runner
      const old = await holdActive(db.url, 6);
      // PostgreSQL's default: no check of the client (and all there is on 13), so the build outlives the runner
      const run = startMigrate(['--config', join(project.dir, 'migrate.config.json'), 'up'], { env: { ...env(), MIGRATION_CLIENT_CHECK_INTERVAL: '0' } });
      await waitFor(async () => (await db.query(`select 1 from pg_stat_progress_create_index p join pg_class c on c.oid = p.index_relid where c.relname = 'idx_orphan_note'`)).length > 0);
      run.child.kill('SIGKILL');
      await run.done;
      // the build's backend goes on without its client (client_connection_check_interval = 0)
      const next = await up();
      await old.done;
      expect(next.stderr).not.toMatch(/already exists/);
      expect(next.code).toBe(0);
      expect(next.stderr).toMatch(/index idx_orphan_note that an interrupted run started still runs/);
      expect(await indexState(db, 'idx_orphan_note')).toBe('true');
      expect(await historyNames(db, 'migrations')).toEqual(['Table1700000000020', 'Index1700000000021']);
    }, 60_000);

    it('a VALID index of that name with another definition is an error naming both definitions', async () => {
      await db.query('create index idx_orphan_note on orphan (id)');
      add('1700000000021-index.ts', cic(false));
      const result = await up();
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/index idx_orphan_note already exists with another definition: the database has "CREATE INDEX idx_orphan_note ON public.orphan USING btree \(id\)", this statement builds "CREATE INDEX idx_orphan_note ON .*USING btree \(lower\(note\)\) WHERE \(note IS NOT NULL\)"/);
    });

    it('a VALID index with the same definition written differently is the statement done', async () => {
      await db.query(`create index idx_orphan_note on public.orphan using btree (lower((note)::text)) where (note is not null)`);
      add('1700000000021-index.ts', cic(false));
      const result = await up();
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/index idx_orphan_note was finished by an interrupted run's build/);
    });
  });

  it('retry state is carried on failure: the run log and the --json failure event keep the lock wait', async () => {
    add('1700000000030-table.ts', typeormMigration('Table1700000000030', ['create table waited (id int)']));
    expect((await up()).code).toBe(0);
    add('1700000000031-alter.ts', typeormMigration('Alter1700000000031', ['alter table waited add column x int']));
    const reader = await holdInTransaction(db.url, 'select * from waited');
    let result;
    try {
      result = await up(['--json'], { MIGRATION_LOCK_RETRIES: '3' });
    } finally {
      await reader.release();
    }
    expect(result.code).toBe(1);
    const failed = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.type === 'migration.failed');
    expect(failed.lockWaitMs).toBeGreaterThan(150);
  });
});
