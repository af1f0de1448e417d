import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT, runMigrate, startMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';

interface IndexedJob {
  spec: {
    completionMode: string;
    completions: number;
    parallelism: number;
    backoffLimitPerIndex: number;
    podFailurePolicy: { rules: { action: string; onExitCodes?: { values: number[] }; onPodConditions?: { type: string }[] }[] };
    template: { spec: { containers: { name: string; command: string[]; args: string[] }[] } };
  };
}

const job = parse(readFileSync(join(ROOT, 'deploy/k8s/migrate-fleet-job.yaml'), 'utf8')) as IndexedJob;
const container = job.spec.template.spec.containers[0];

describe("the fleet's Indexed Job (deploy/k8s/migrate-fleet-job.yaml)", () => {
  it('shards by completion index over N completions, retries per index, fails an index on exit 1 and ignores disruptions', () => {
    expect(job.spec.completionMode).toBe('Indexed');
    const shard = container.args[container.args.indexOf('--shard') + 1];
    expect(shard).toBe(`$(JOB_COMPLETION_INDEX)/${job.spec.completions}`);
    expect(job.spec.backoffLimitPerIndex).toBeGreaterThan(0);
    const rule = (action: string) => job.spec.podFailurePolicy.rules.find((r) => r.action === action);
    expect(rule('FailIndex')?.onExitCodes?.values).toEqual([1]);
    expect(rule('Ignore')?.onPodConditions).toEqual([{ type: 'DisruptionTarget' }]);
    expect(container.command.slice(1)).toEqual(['libs/migration-cli/dist/main.js']);
  });

  describe('its container args, run for every index at once over a fleet', () => {
    let tenants: TestDatabase[] = [];
    let dir: string;
    beforeAll(async () => {
      tenants = await Promise.all(Array.from({ length: 10 }, (_, i) => createTestDatabase(`shard${i}`)));
      // the payments migrations and a slow third one, so a shard can be killed in the middle
      dir = mkdtempSync(join(ROOT, 'test/.tmp/fleet-job-'));
      mkdirSync(join(dir, 'migrations'));
      cpSync(join(ROOT, 'apps/payments/migrations'), join(dir, 'migrations'), { recursive: true });
      writeFileSync(
        join(dir, 'migrations/202401151100__slow_step.ts'),
        `import type { MigrationInterface, QueryRunner } from 'typeorm';
export class SlowStep1705316400000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query('select pg_sleep(0.4)');
  }
  async down(): Promise<void> {}
}
`,
      );
      writeFileSync(
        join(dir, 'migrate.config.json'),
        JSON.stringify({ apps: [{ name: 'payments', orm: 'typeorm', migrations: ['migrations/*.ts'], naming: 'timestamped', targets: { urls: 'TENANT_DATABASE_URLS' } }] }),
      );
    });
    afterAll(async () => {
      await Promise.all(tenants.map((t) => t.drop()));
      rmSync(dir, { recursive: true, force: true });
    });

    it('migrates each tenant exactly once; kill -9 one shard mid-run, rerun its index, and the fleet ends current', async () => {
      const env = { TENANT_DATABASE_URLS: tenants.map((t) => t.url).join('\n') };
      const config = join(dir, 'migrate.config.json');
      const argsFor = (index: number) =>
        container.args.map((a) => a.replace('$(JOB_COMPLETION_INDEX)', String(index))).map((a) => (a === '/tmp/migrate-report.json' ? join(dir, `report-${index}.json`) : a));
      const victim = startMigrate(['--config', config, ...argsFor(0)], { env });
      const others = Array.from({ length: job.spec.completions - 1 }, (_, i) => runMigrate(['--config', config, ...argsFor(i + 1)], { env, timeoutMs: 120_000 }));
      // once shard 0 is inside its slow step on some tenant, the pod dies
      const deadline = Date.now() + 30_000;
      while (!/slow_step/.test(victim.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      victim.child.kill('SIGKILL');
      expect((await victim.done).signal).toBe('SIGKILL');
      expect((await Promise.all(others)).map((r) => r.code)).toEqual(Array(job.spec.completions - 1).fill(0));
      // the Job controller retries the index
      const retry = await runMigrate(['--config', config, ...argsFor(0)], { env, timeoutMs: 120_000 });
      expect(retry.code).toBe(0);
      for (const t of tenants) {
        const [{ n }] = await t.query<{ n: number }>(`select count(*)::int as n from migrations`);
        const [{ ups }] = await t.query<{ ups: number }>(`select count(distinct migration)::int as ups from migration_runs where direction = 'up' and status = 'succeeded'`);
        expect([t.name, n, ups]).toEqual([t.name, 3, 3]);
      }
      const [{ abandoned }] = (await Promise.all(tenants.map((t) => t.query<{ abandoned: number }>(`select count(*)::int as abandoned from migration_runs where status = 'abandoned'`)))).reduce((a, b) => [{ abandoned: a[0].abandoned + b[0].abandoned }]);
      expect(abandoned).toBeGreaterThanOrEqual(1);
    });
  });
});
