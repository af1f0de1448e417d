import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpSink } from '../../../../test/support/http-sink';
import { createMetrics, pushMetrics, writeMetricsFile } from './metrics';

describe('metrics', () => {
  const metrics = createMetrics();
  metrics.migrationFinished('payments', 'succeeded', 0.2);
  metrics.migrationFinished('ledger', 'failed', 1.5);
  metrics.lockWaited(0.4);
  metrics.backfillBatch('chargebacks-reported-at', 5000, 0.18);

  it('exposes the named series with their labels', async () => {
    const text = await metrics.text();
    expect(text).toContain('migrations_total{app="payments",status="succeeded"} 1');
    expect(text).toContain('migrations_failed_total{app="ledger"} 1');
    expect(text).toContain('migration_duration_seconds_count{app="ledger"} 1');
    expect(text).toContain('migration_lock_wait_seconds_count{kind="run_lock"} 1');
    expect(text).toContain('backfill_rows_total{job="chargebacks-reported-at"} 5000');
    expect(text).toContain('backfill_batch_duration_seconds_count{job="chargebacks-reported-at"} 1');
  });

  it('pushes to a Pushgateway under the job name', async () => {
    const sink = await startHttpSink();
    try {
      expect(await pushMetrics(metrics, sink.url)).toEqual({ ok: true });
      expect(sink.received[0]).toMatchObject({ method: 'POST', path: '/metrics/job/zdm_migrate' });
      expect(sink.received[0].body).toContain('migrations_total');
    } finally {
      await sink.close();
    }
  });

  it('reports an unreachable Pushgateway instead of throwing', async () => {
    expect(await pushMetrics(metrics, 'http://127.0.0.1:1', 'zdm_migrate', 500)).toEqual({ ok: false, error: expect.any(String) });
  });

  it('writes the text file for the node exporter', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'zdm-metrics-')), 'zdm.prom');
    await writeMetricsFile(metrics, file);
    expect(readFileSync(file, 'utf8')).toContain('# TYPE migrations_total counter');
  });
});
