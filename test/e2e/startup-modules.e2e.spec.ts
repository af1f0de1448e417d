import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { loadProbe } from '../support/load-probe';

// What a cold command loads is most of its start-up, and every readiness probe and deploy pod pays
// it. A run with nothing to do (`up` once the release is applied, `status`) logs no line, publishes
// no metrics and lints nothing: it must not load the logger, the metrics library, the linter, the
// COPY streams of backups, an ORM or Node's ESM loader for the command line parser. The probe
// records which of those the process loaded; no timing is judged here (see bench/runner-startup).
const PARTS = {
  pino: '/node_modules/pino/',
  'prom-client': '/node_modules/prom-client/',
  linter: '/migration-lint/dist/',
  'pg-copy-streams': '/node_modules/pg-copy-streams/',
  typeorm: '/node_modules/typeorm/',
  mikroOrm: '/node_modules/@mikro-orm/',
  commander: '/node_modules/commander/',
  swc: '/node_modules/@swc/',
};

describe('start-up: a run with nothing to do loads only what it uses', () => {
  let db: TestDatabase;
  let dir: string;
  let probe: ReturnType<typeof loadProbe>;
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const result = await runMigrate(args, { env: { DATABASE_URL: db.url, ...probe.env, ...env } });
    return { ...result, loaded: probe.take() };
  };

  beforeAll(async () => {
    db = await createTestDatabase('startup_modules');
    dir = mkdtempSync(join(tmpdir(), 'zdm-startup-'));
    probe = loadProbe(dir, PARTS);
    const first = await runMigrate(['up'], { env: { DATABASE_URL: db.url } });
    expect(first.code).toBe(0);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  });

  const NOTHING_TO_DO = { pino: false, 'prom-client': false, linter: false, 'pg-copy-streams': false, typeorm: false, mikroOrm: false, commander: true, swc: false };

  it('up with nothing pending loaded the logger, prom-client, the linter or the COPY streams', async () => {
    const result = await run(['up']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/nothing pending/);
    expect(result.stderr).toBe('');
    expect(result.loaded).toEqual(NOTHING_TO_DO);
  });

  it('status --exit-code (the readiness probe) loads no more', async () => {
    const result = await run(['status', '--exit-code']);
    expect(result.code).toBe(0);
    expect(result.loaded).toEqual(NOTHING_TO_DO);
  });

  it('a backfill loaded swc to read a job file of plain TypeScript (types only): Node strips the types itself', async () => {
    const result = await run(['backfill', 'chargebacks-reported-at']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/chargebacks-reported-at: done/);
    expect(result.loaded).toMatchObject({ swc: false, typeorm: false, mikroOrm: false });
  });

  it('a log line loads the logger, and --metrics-file loads prom-client: both still work', async () => {
    const metricsFile = join(dir, 'zdm.prom');
    const result = await run(['up', '--metrics-file', metricsFile, '--verbose']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/config .*migrate\.config\.ts/);
    expect(result.loaded).toMatchObject({ pino: true, 'prom-client': true, linter: false });
    expect(readFileSync(metricsFile, 'utf8')).toMatch(/migration_last_success_timestamp_seconds\{app="payments"\} \d/);
  });
});
