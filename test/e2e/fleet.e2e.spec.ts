import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runMigrate } from '../support/cli';
import { createTestDatabase, urlFor, withClient, type TestDatabase } from '../support/database';
import { startHttpSink } from '../support/http-sink';

const MIGRATIONS = join(ROOT, 'apps/payments/migrations/*.ts');
const TRIGGER = [
  `create function refuse_alter() returns event_trigger language plpgsql as $$ begin raise exception 'ALTER TABLE refused on this tenant'; end $$`,
  `create event trigger refuse_alter on ddl_command_start when tag in ('ALTER TABLE') execute function refuse_alter()`,
];

/** The rows of a tenant's TypeORM history, -1 when it has none yet. */
async function historyRows(db: TestDatabase, schema = 'public'): Promise<number> {
  const [{ present }] = await db.query<{ present: boolean }>(`select to_regclass('${schema}.migrations') is not null as present`);
  return present ? (await db.query<{ n: number }>(`select count(*)::int as n from ${schema}.migrations`))[0].n : -1;
}

describe('a fleet: one app, many tenant databases (or schemas)', () => {
  let tenants: TestDatabase[] = [];
  let dir: string;
  const config = () => join(dir, 'migrate.config.json');
  const writeConfig = (targets: unknown) => writeFileSync(config(), JSON.stringify({ apps: [{ name: 'payments', orm: 'typeorm', migrations: [MIGRATIONS], naming: 'timestamped', targets }] }));
  const migrate = (args: string[], env: Record<string, string> = {}) => runMigrate(['--config', config(), ...args], { env: { TENANT_DATABASE_URLS: tenants.map((t) => t.url).join('\n'), ...env }, timeoutMs: 120_000 });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zdm-fleet-'));
    writeConfig({ urls: 'TENANT_DATABASE_URLS' });
  });
  afterEach(async () => {
    await Promise.all(tenants.map((t) => t.drop()));
    tenants = [];
    rmSync(dir, { recursive: true, force: true });
  });

  const createTenants = async (n: number) => {
    tenants = await Promise.all(Array.from({ length: n }, (_, i) => createTestDatabase(`tenant${i}`)));
  };

  it('--parallel bounds the targets in flight: sampled in pg_stat_activity during the run, never more than N tenants connected at once', async () => {
    await createTenants(8);
    const names = tenants.map((t) => t.name);
    let maxTenants = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const rows = await withClient(tenants[0].url, (c) => c.query<{ n: number }>(`select count(distinct datname)::int as n from pg_stat_activity where datname = any($1) and application_name like 'zdm-migrate%'`, [names]));
        maxTenants = Math.max(maxTenants, rows.rows[0].n);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const run = await migrate(['up', '--parallel', '2']);
    sampling = false;
    await sampler;
    expect(run.code).toBe(0);
    expect(maxTenants).toBeGreaterThan(0);
    expect(maxTenants).toBeLessThanOrEqual(2);
    expect(run.stdout).toMatch(/fleet up: 8 applied, 0 already current, 0 failed, 0 not started \(8 target\(s\), parallel 2/);
    for (const t of tenants) expect(await historyRows(t)).toBe(2);
    const again = await migrate(['up', '--json']);
    const summary = again.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((d) => d.type === 'fleet');
    expect(summary.counts).toEqual({ done: 0, current: 8, failed: 0, notStarted: 0 });
  });

  it('one tenant fails: by default no new target starts, the failed one is reverted alone, status names exactly it (exit 6), and --continue-on-error finishes the others', async () => {
    await createTenants(6);
    for (const sql of TRIGGER) await tenants[1].query(sql);
    const stopped = await migrate(['up', '--parallel', '1']);
    expect(stopped.code).toBe(1);
    expect(stopped.stdout).toMatch(/fleet up: 1 applied, 0 already current, 1 failed, 4 not started/);
    expect(stopped.stdout).toMatch(new RegExp(`failed ${tenants[1].name}: .*ALTER TABLE refused on this tenant`));
    // the failing tenant's own run was reverted: its first migration (CREATE TABLE) is gone too
    expect(await historyRows(tenants[1])).toBe(0);
    expect(await tenants[1].query(`select 1 from pg_class where relname = 'chargebacks'`)).toEqual([]);
    expect(await historyRows(tenants[0])).toBe(2);
    expect(await historyRows(tenants[2])).toBe(-1);

    const status = await migrate(['status', '--exit-code', '--json']);
    expect(status.code).toBe(6);
    const doc = JSON.parse(status.stdout);
    expect(doc.apps.map((a: { target: string }) => a.target)).toEqual(tenants.map((t) => t.name));
    const behind = [...new Set(doc.unready.map((u: { target: string }) => u.target))];
    expect(behind).toEqual(tenants.slice(1).map((t) => t.name));

    const goOn = await migrate(['up', '--parallel', '3', '--continue-on-error']);
    expect(goOn.code).toBe(1);
    expect(goOn.stdout).toMatch(/fleet up: 4 applied, 1 already current, 1 failed, 0 not started/);
    const after = JSON.parse((await migrate(['status', '--exit-code', '--json'])).stdout);
    expect([...new Set(after.unready.map((u: { target: string }) => u.target))]).toEqual([tenants[1].name]);
  });

  it('--canary stops the run when a canary fails; --stages runs waves, each only after the previous one succeeded', async () => {
    await createTenants(5);
    for (const sql of TRIGGER) await tenants[0].query(sql);
    const canary = await migrate(['up', '--canary', '1', '--continue-on-error']);
    expect(canary.code).toBe(1);
    expect(canary.stdout).toMatch(/fleet up: 0 applied, 0 already current, 1 failed, 4 not started/);
    await tenants[0].query('drop event trigger refuse_alter');
    for (const sql of TRIGGER) await tenants[2].query(sql);
    // waves of 2, then 2 more (80%), then the rest: the second wave has the failure, the third never starts
    const staged = await migrate(['up', '--stages', '2,80%,100%', '--parallel', '1', '--continue-on-error']);
    expect(staged.code).toBe(1);
    expect(staged.stdout).toMatch(/fleet up: 3 applied, 0 already current, 1 failed, 1 not started/);
    expect(staged.stdout).toMatch(new RegExp(`not started: ${tenants[4].name}`));
  });

  it('--target and --targets-from pick tenants; an unknown one is refused (exit 2) naming it', async () => {
    await createTenants(3);
    const plan = JSON.parse((await migrate(['plan', '--json', '--target', tenants[1].name, '--target', tenants[2].name])).stdout);
    expect(plan.apps.map((a: { target: string; migrations: unknown[] }) => [a.target, a.migrations.length])).toEqual([
      [tenants[1].name, 2],
      [tenants[2].name, 2],
    ]);
    const one = await migrate(['up', '--target', tenants[2].name]);
    expect(one.code).toBe(0);
    expect([await historyRows(tenants[0]), await historyRows(tenants[2])]).toEqual([-1, 2]);
    writeFileSync(join(dir, 'wave.txt'), `# first wave\n${tenants[0].name}\n\n`);
    expect((await migrate(['up', '--targets-from', join(dir, 'wave.txt')])).code).toBe(0);
    expect(await historyRows(tenants[0])).toBe(2);
    expect(await historyRows(tenants[1])).toBe(-1);
    const unknown = await migrate(['up', '--target', 'no_such_tenant']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--target no_such_tenant: no such target among the 3/);
  });

  it('--shard I/N: four shard processes at once cover the fleet, disjoint, each target migrated exactly once', async () => {
    await createTenants(12);
    const runs = await Promise.all([0, 1, 2, 3].map((i) => migrate(['up', '--shard', `${i}/4`, '--json'])));
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const covered = runs.map((r) => r.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((d) => d.type === 'fleet').targets.map((t: { target: string }) => t.target));
    const all = covered.flat();
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual(tenants.map((t) => t.name).sort());
    for (const t of tenants) {
      const ups = await t.query<{ n: number }>(`select count(*)::int as n from migration_runs where direction = 'up' and status = 'succeeded'`);
      expect(ups[0].n).toBe(2);
    }
    const bad = await migrate(['up', '--shard', '4/4']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--shard 4\/4: use I\/N with 0 <= I < N/);
  });

  it('a schema per tenant: each schema gets its own tables and history, tenants of one database migrate in parallel', async () => {
    await createTenants(1);
    const [db] = tenants;
    await db.query(`create table tenants (schema_name text primary key, active boolean not null)`);
    for (const s of ['acme', 'globex', 'initech']) {
      await db.query(`create schema ${s}`);
      await db.query(`insert into tenants values ($1, $2)`, [s, s !== 'initech']);
    }
    writeConfig({ schemas: 'select schema_name from tenants where active order by 1' });
    const run = await migrate(['up', '--parallel', '2'], { DATABASE_URL: db.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/fleet up: 2 applied/);
    for (const s of ['acme', 'globex']) {
      expect(await historyRows(db, s)).toBe(2);
      expect(await db.query(`select 1 as one from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = 'chargebacks'`, [s])).toEqual([{ one: 1 }]);
    }
    expect(await historyRows(db, 'initech')).toBe(-1);
    expect(await db.query(`select 1 from pg_class where relname = 'chargebacks' and relnamespace = 'public'::regnamespace`)).toEqual([]);
  });

  it('metrics: one set for the fleet by default (no target label), per target with --metrics-target-label; reports and alerts name their target', async () => {
    await createTenants(3);
    for (const sql of TRIGGER) await tenants[2].query(sql);
    const sink = await startHttpSink();
    try {
      const fleet = await migrate(['up', '--continue-on-error', '--metrics-file', join(dir, 'fleet.prom'), '--report', join(dir, 'report.json')], { ALERT_WEBHOOK_URL: `${sink.url}/hook` });
      expect(fleet.code).toBe(1);
      const text = readFileSync(join(dir, 'fleet.prom'), 'utf8');
      // two tenants' two migrations, and the failing tenant's first one, applied then reverted
      expect(text).toContain('migrations_total{app="payments",status="succeeded",direction="up"} 5');
      expect(text).toContain('migrations_total{app="payments",status="succeeded",direction="down"} 1');
      expect(text).toContain('migrations_failed_total{app="payments",direction="up"} 1');
      expect(text).not.toContain('target=');
      // a tenant failed: no "last success" for the fleet
      expect(text).not.toMatch(/^migration_last_success_timestamp_seconds\{/m);
      for (const t of tenants) expect(JSON.parse(readFileSync(join(dir, `report.${t.name}.json`), 'utf8'))).toMatchObject({ target: t.name, command: 'up' });
      const alert = sink.received.map((r) => JSON.parse(r.body)).find((b) => b.kind === 'migration_failed');
      expect(alert).toMatchObject({ target: tenants[2].name, app: 'payments' });

      await tenants[2].query('drop event trigger refuse_alter');
      const labelled = await migrate(['up', '--metrics-target-label', '--metrics-file', join(dir, 'own.prom')]);
      expect(labelled.code).toBe(0);
      expect(existsSync(join(dir, 'own.prom'))).toBe(false);
      expect(readFileSync(join(dir, `own.${tenants[2].name}.prom`), 'utf8')).toMatch(new RegExp(`migrations_total\\{app="payments",status="succeeded",direction="up",target="${tenants[2].name}"\\} 2`));
    } finally {
      await sink.close();
    }
  });

  it('lint over a fleet: the pending migrations of every target, each finding once with the targets it holds on', async () => {
    await createTenants(2);
    const migrations = join(dir, 'migrations');
    cpSync(join(ROOT, 'apps/payments/migrations'), migrations, { recursive: true });
    writeFileSync(
      join(migrations, '202401151100__chargebacks_index_status.ts'),
      `import type { MigrationInterface, QueryRunner } from 'typeorm';
export class ChargebacksIndexStatus1705316400000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX idx_chargebacks_status ON chargebacks (status)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX idx_chargebacks_status');
  }
}
`,
    );
    writeFileSync(config(), JSON.stringify({ apps: [{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped', targets: { urls: 'TENANT_DATABASE_URLS' } }] }));
    expect((await migrate(['up', '--to', '202401151000__chargebacks_add_utr_reported_at'])).code).toBe(0);
    const lint = await migrate(['lint', '--json']);
    expect(lint.code).toBe(5);
    const { findings } = JSON.parse(lint.stdout);
    expect(findings).toEqual([expect.objectContaining({ rule: 'require-concurrent-index-creation', app: 'payments', targets: tenants.map((t) => t.name) })]);
  });

  it('verify over a fleet: what is pending on each target, checked on scratch databases, one target after another', async () => {
    await createTenants(2);
    expect((await migrate(['up', '--target', tenants[0].name, '--to', '202401150900__create_chargebacks'])).code).toBe(0);
    const result = await migrate(['verify', '--scratch-url', urlFor('postgres')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/all 2 target\(s\) verified/);
    expect(result.stdout).toMatch(new RegExp(`\\[${tenants[0].name}\\] .*202401151000__chargebacks_add_utr_reported_at`));
    // the tenants themselves are only read
    expect(await historyRows(tenants[1])).toBe(-1);
  });
});
