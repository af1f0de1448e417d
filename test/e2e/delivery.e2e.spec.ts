import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT, runMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';

// The delivery files are read as a deploy reads them, and what they run is run: a renamed make
// target, pnpm script, command or flag fails here rather than in a deploy.


describe('delivery: CI, the migrate workflow and the Kubernetes Job', () => {
  describe('with a database', () => {
    let db: TestDatabase;
    beforeEach(async () => {
      db = await createTestDatabase('delivery');
    });
    afterEach(() => db.drop());

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
