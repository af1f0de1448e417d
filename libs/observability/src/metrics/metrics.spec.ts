import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from 'prom-client';
import { deadUrl, startHttpStub, type HttpStub } from '../../test/http-stub';
import { createMetrics } from './metrics';
import { writeMetricsFile } from './metrics-file';
import { pushMetrics } from './push-metrics';

function sampleMetrics() {
  const metrics = createMetrics();
  metrics.migrationFinished('payments', 'succeeded', 0.2);
  metrics.migrationFinished('payments', 'succeeded', 0.3);
  metrics.migrationFinished('ledger', 'failed', 1.5);
  metrics.migrationFinished('payments', 'succeeded', 0.1, 'down');
  metrics.runSucceeded('payments', new Date('2026-12-01T10:00:00Z'));
  metrics.lockWaited(0.4);
  metrics.lockWaited(2, 'table_lock');
  metrics.backfillBatch('chargebacks-reported-at', 5000, 0.18);
  metrics.backfillBatch('chargebacks-reported-at', 1200, 0.07);
  return metrics;
}

describe('MigrationMetrics', () => {
  it('exposes the named series with their types and labels', async () => {
    const text = await sampleMetrics().text();
    for (const [name, type] of [
      ['migrations_total', 'counter'],
      ['migrations_failed_total', 'counter'],
      ['migration_duration_seconds', 'histogram'],
      ['migration_lock_wait_seconds', 'histogram'],
      ['backfill_rows_total', 'counter'],
      ['backfill_batch_duration_seconds', 'histogram'],
      ['migration_last_success_timestamp_seconds', 'gauge'],
    ]) {
      expect(text).toContain(`# TYPE ${name} ${type}\n`);
      expect(text).toMatch(new RegExp(`# HELP ${name} \\S`));
    }
    expect(text).toContain('migrations_total{app="payments",status="succeeded",direction="up"} 2');
    // a down is not a success of up
    expect(text).toContain('migrations_total{app="payments",status="succeeded",direction="down"} 1');
    expect(text).toContain('migrations_total{app="ledger",status="failed",direction="up"} 1');
    expect(text).toContain('migrations_failed_total{app="ledger",direction="up"} 1');
    expect(text).not.toContain('migrations_failed_total{app="payments"');
    expect(text).toContain('migration_duration_seconds_count{app="payments",direction="up"} 2');
    expect(text).toContain('migration_duration_seconds_sum{app="ledger",direction="up"} 1.5');
    expect(text).toContain('migration_duration_seconds_bucket{le="1",app="payments",direction="up"} 2');
    expect(text).toContain('migration_last_success_timestamp_seconds{app="payments"} 1796119200');
    expect(text).toContain('migration_lock_wait_seconds_count{kind="run_lock"} 1');
    expect(text).toContain('migration_lock_wait_seconds_sum{kind="table_lock"} 2');
    expect(text).toContain('backfill_rows_total{job="chargebacks-reported-at"} 6200');
    expect(text).toContain('backfill_batch_duration_seconds_count{job="chargebacks-reported-at"} 2');
  });

  it('keeps its series on a registry of its own, apart from the global one and from other instances', async () => {
    const one = sampleMetrics();
    const other = createMetrics();
    expect(register.getSingleMetric('migrations_total')).toBeUndefined();
    expect(await other.text()).not.toContain('app="payments"');
    expect(one.registry).not.toBe(other.registry);
    expect(one.contentType).toMatch(/^text\/plain/);
  });

  it("adds its series to a registry the app already serves, beside the app's own", async () => {
    const { Counter, Registry } = await import('prom-client');
    const appRegistry = new Registry();
    new Counter({ name: 'http_requests_total', help: 'requests', registers: [appRegistry] }).inc();
    createMetrics({ registry: appRegistry }).backfillBatch('job', 3, 0.1);
    const text = await appRegistry.metrics();
    expect(text).toContain('http_requests_total 1');
    expect(text).toContain('backfill_rows_total{job="job"} 3');
  });
});

describe('pushMetrics', () => {
  let stub: HttpStub | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
  });

  it('pushes to a Pushgateway under the job name, below the URL path, with the URL credentials as basic auth', async () => {
    stub = await startHttpStub();
    const gateway = stub.url.replace('http://', 'http://metrics:gw-pass-777@');
    expect(await pushMetrics(sampleMetrics(), `${gateway}/push`)).toEqual({ ok: true });
    expect(await pushMetrics(sampleMetrics(), stub.url, 'nightly backfill')).toEqual({ ok: true });

    expect(stub.requests.map((r) => [r.method, r.path])).toEqual([
      ['POST', '/push/metrics/job/zdm_migrate'],
      ['POST', '/metrics/job/nightly%20backfill'],
    ]);
    expect(stub.requests[0].headers.authorization).toBe(`Basic ${Buffer.from('metrics:gw-pass-777').toString('base64')}`);
    expect(stub.requests[0].body).toContain('migrations_failed_total{app="ledger",direction="up"} 1');
  });

  it("groups a push by environment and the run's apps, so staging never overwrites production", async () => {
    stub = await startHttpStub();
    expect(await pushMetrics(sampleMetrics(), stub.url, 'zdm_migrate', 5000, { env: 'production', apps: ['payments', 'ledger'] })).toEqual({ ok: true });
    expect(await pushMetrics(sampleMetrics(), stub.url, 'zdm_migrate', 5000, { env: 'staging', apps: ['payments'] })).toEqual({ ok: true });
    expect(stub.requests.map((r) => r.path)).toEqual(['/metrics/job/zdm_migrate/env/production/app/ledger%2Bpayments', '/metrics/job/zdm_migrate/env/staging/app/payments']);
  });

  it('reports a refusal, an unreachable gateway and one that hangs, instead of throwing, and names no credential', async () => {
    stub = await startHttpStub((request) => (request.path.startsWith('/hang') ? 'hang' : 500));
    const withCredentials = (url: string) => url.replace('http://', 'http://metrics:gw-pass-777@');

    const refused = await pushMetrics(sampleMetrics(), withCredentials(stub.url));
    expect(refused).toEqual({ ok: false, error: expect.stringMatching(/^push failed with status 500/) });

    const unreachable = await pushMetrics(sampleMetrics(), withCredentials(await deadUrl()), 'zdm_migrate', 500);
    expect(unreachable).toEqual({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) });

    const started = Date.now();
    const hung = await pushMetrics(sampleMetrics(), `${withCredentials(stub.url)}/hang`, 'zdm_migrate', 300);
    expect(hung).toEqual({ ok: false, error: 'no answer within 300 ms' });
    expect(Date.now() - started).toBeLessThan(2000);

    for (const result of [refused, unreachable, hung]) expect(result.error).not.toContain('gw-pass-777');
  });
});

describe('writeMetricsFile', () => {
  it('writes the text exposition for the node exporter, replacing the file whole and leaving no temp file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zdm-metrics-'));
    const file = join(dir, 'zdm.prom');
    writeFileSync(file, 'old content\n');
    await writeMetricsFile(sampleMetrics(), file);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# TYPE migrations_total counter');
    expect(text).toContain('backfill_rows_total{job="chargebacks-reported-at"} 6200');
    expect(text).not.toContain('old content');
    expect(readdirSync(dir)).toEqual(['zdm.prom']);
  });

  it('fails with the file system error, leaving no temp file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zdm-metrics-'));
    await expect(writeMetricsFile(sampleMetrics(), join(dir, 'missing-dir', 'zdm.prom'))).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
