import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { ROOT, runMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';

// The delivery files are read as a deploy reads them, and what they run is run: a renamed make
// target, pnpm script, command or flag fails here rather than in a deploy.

interface Step {
  run?: string;
}
interface Workflow {
  on: Record<string, { inputs?: Record<string, { options?: string[] }> } | null>;
  jobs: Record<string, { steps: Step[] }>;
}

const readYaml = <T>(path: string): T => parse(readFileSync(join(ROOT, path), 'utf8')) as T;
const scripts = (workflow: Workflow) => Object.values(workflow.jobs).flatMap((job) => job.steps.flatMap((step) => (step.run ? [step.run] : [])));
const makeTargets = new Set([...readFileSync(join(ROOT, 'Makefile'), 'utf8').matchAll(/^([a-z-]+):/gm)].map((m) => m[1]));
const pnpmScripts = new Set(Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts));

describe('delivery: CI, the migrate workflow and the Kubernetes Job', () => {
  const ci = readYaml<Workflow>('.github/workflows/ci.yml');
  const migrate = readYaml<Workflow>('.github/workflows/migrate.yml');

  it('every make target and pnpm script the workflows run exists', () => {
    const runs = [...scripts(ci), ...scripts(migrate)].join('\n');
    const targets = [...runs.matchAll(/\bmake ([a-z-]+)/g)].map((m) => m[1]);
    const pnpm = [...runs.matchAll(/\bpnpm -s ([a-z:]+)/g)].map((m) => m[1]);
    expect(targets).toEqual(expect.arrayContaining(['test', 'build']));
    expect(pnpm).toEqual(expect.arrayContaining(['migrate:all', 'migrate']));
    for (const target of targets) expect(makeTargets).toContain(target);
    for (const script of pnpm) expect(pnpmScripts).toContain(script);
  });

  it('CI checks for drift with migrate check and lint, and each migrate command it runs is the CLI’s', async () => {
    const runs = scripts(ci).join('\n');
    const commands = [...runs.matchAll(/pnpm -s migrate ([a-z]+)/g)].map((m) => m[1]);
    expect(commands).toEqual(['check', 'lint']);
    for (const command of commands) expect((await runMigrate([command, '--help'])).code).toBe(0);
  });

  describe('with a database', () => {
    let db: TestDatabase;
    beforeEach(async () => {
      db = await createTestDatabase('delivery');
    });
    afterEach(() => db.drop());

    it('the migrate workflow is dispatched by hand, and each command it offers runs with the arguments it builds', async () => {
      expect(Object.keys(migrate.on)).toEqual(['workflow_dispatch']);
      const offered = migrate.on.workflow_dispatch?.inputs?.command.options ?? [];
      expect(offered).toEqual(['plan', 'up', 'status', 'revert']);
      // the step's own argument building: `args=("<command>")`, `--app` when one is given, then per command `<command>) args+=(...)`
      const script = scripts(migrate).join('\n');
      expect(script).toContain('args+=(--app "${{ inputs.app }}")');
      const extra = Object.fromEntries([...script.matchAll(/(\w+)\) args\+=\(([^)]*)\)/g)].map((m) => [m[1], m[2].split(' ')]));
      expect(Object.keys(extra)).toEqual(['up', 'revert']);
      const dir = mkdtempSync(join(tmpdir(), 'zdm-dispatch-'));
      for (const command of offered) {
        const args = [command, '--app', 'payments', ...(extra[command] ?? []).map((a) => (a === 'migrate-report.json' ? join(dir, a) : a))];
        const result = await runMigrate(args, { env: { ENV: 'production', DATABASE_URL: db.url } });
        expect({ args, code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
        if (command === 'up') expect(JSON.parse(readFileSync(join(dir, 'migrate-report.json'), 'utf8')).migrations).toHaveLength(2);
      }
      // revert undid what up applied
      expect(await db.query(`select to_regclass('chargebacks') as t`)).toEqual([{ t: null }]);
    });

    it('the Kubernetes Job runs once, gives a SIGTERM time to roll back, and its command applies every migration and writes the report', async () => {
      const [job] = parseAllDocuments(readFileSync(join(ROOT, 'deploy/k8s/migrate-job.yaml'), 'utf8')).map((d) => d.toJS());
      expect(job).toMatchObject({ kind: 'Job', spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never' } } } });
      expect(job.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
      const [container] = job.spec.template.spec.containers as Array<{ command: string[]; env: Array<{ name: string; value?: string; valueFrom?: unknown }> }>;
      const [node, cli, ...args] = container.command;
      expect([node, cli]).toEqual(['node', 'libs/migration-cli/dist/main.js']);
      // the manifest's own settings, its secrets from the test database, the report where this test can read it
      const env = Object.fromEntries(container.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
      expect(container.env.find((e) => e.name === 'DATABASE_URL')?.valueFrom).toBeDefined();
      const report = join(mkdtempSync(join(tmpdir(), 'zdm-job-')), 'migrate-report.json');
      const reportAt = args.indexOf('--report');
      expect(reportAt).toBeGreaterThan(0);
      args[reportAt + 1] = report;

      const result = await runMigrate(args, { env: { ...env, DATABASE_URL: db.url } });
      expect(result.stderr).not.toMatch(/error/i);
      expect(result.code).toBe(0);
      const written = JSON.parse(readFileSync(report, 'utf8'));
      expect(written).toMatchObject({ command: 'up', env: 'production', status: 'ok' });
      expect(written.migrations).toHaveLength(4);
      // --json: one JSON line per event on stdout
      expect(result.stdout.trim().split('\n').every((line) => JSON.parse(line))).toBe(true);
    });
  });
});
