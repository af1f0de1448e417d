import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMetrics } from './metrics';

// deploy/grafana's dashboard: each quantity the issue names has a panel of its own, and every
// metric a panel queries is one the runner or the backfills export (a renamed metric fails here,
// not as an empty panel in production).

interface Panel {
  title: string;
  type: string;
  datasource: { uid: string };
  targets: { expr: string }[];
}
const dashboard = JSON.parse(readFileSync(join(__dirname, '../../../../deploy/grafana/migrations-dashboard.json'), 'utf8')) as {
  uid: string;
  title: string;
  schemaVersion: number;
  __inputs: { name: string; pluginId: string }[];
  panels: Panel[];
};

/** Names a Prometheus expression reads as series (not functions, labels or keywords). */
function metricsOf(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '').replace(/\b(by|without)\s*\([^)]*\)/g, '').replace(/\[[^\]]*\]/g, '');
  return [...withoutLabels.matchAll(/\b([a-z_][a-z0-9_]*)\b(?!\s*\()/g)].map((m) => m[1]).filter((n) => !/^\d/.test(n) && n !== 'le');
}

async function exported(): Promise<Set<string>> {
  const metrics = createMetrics();
  metrics.migrationFinished('a', 'failed', 1);
  metrics.lockWaited(1);
  metrics.runSucceeded('a');
  metrics.backfillBatch('j', 1, 1);
  const text = await metrics.text();
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

describe('the Grafana dashboard', () => {
  it('is importable: a uid, a title, panels that query a Prometheus datasource given as an import input', () => {
    expect(dashboard.uid).toBeTruthy();
    expect(dashboard.schemaVersion).toBeGreaterThan(30);
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' })]);
    for (const p of dashboard.panels) {
      expect(p.datasource.uid).toBe('${DS_PROMETHEUS}');
      expect(p.targets.length).toBeGreaterThan(0);
    }
  });

  it('time by phase, lock waits, retries, failures, backfill rate and ETA each have a panel of their own, over the metric that measures it', () => {
    const wanted: [RegExp, string][] = [
      [/time by phase/i, 'migration_phase_duration_seconds_sum'],
      [/lock waits/i, 'migration_lock_wait_seconds_bucket'],
      [/retries/i, 'migration_lock_retries_total'],
      [/failures/i, 'migrations_failed_total'],
      [/backfill rate/i, 'backfill_rows_total'],
      [/backfill eta/i, 'backfill_eta_seconds'],
    ];
    const used = new Set<Panel>();
    for (const [title, metric] of wanted) {
      const panel = dashboard.panels.find((p) => title.test(p.title));
      expect({ title: String(title), found: Boolean(panel) }).toEqual({ title: String(title), found: true });
      expect(panel!.targets.flatMap((t) => metricsOf(t.expr))).toContain(metric);
      expect(used.has(panel!)).toBe(false);
      used.add(panel!);
    }
  });

  it('every metric a panel queries is one we export', async () => {
    const names = await exported();
    expect(metricsOf('sum by (app) (rate(foo_total{app="x"}[5m])) / time()')).toEqual(['foo_total']);
    const queried = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricsOf(t.expr))));
    expect(queried.size).toBeGreaterThanOrEqual(8);
    for (const metric of queried) expect({ metric, exported: names.has(metric) }).toEqual({ metric, exported: true });
  });

  it('the ETA, retries and phase panels have values to show: what the runner and backfills report lands in those series', async () => {
    const metrics = createMetrics();
    metrics.backfillProgress('chargebacks_reported_at', 1200, 42);
    metrics.backfillProgress('other', null, null);
    metrics.lockRetried('payments', 3);
    metrics.phaseTook('backup', 2.5);
    const text = await metrics.text();
    expect(text).toContain('backfill_eta_seconds{job="chargebacks_reported_at"} 42');
    expect(text).toContain('backfill_rows_remaining{job="chargebacks_reported_at"} 1200');
    expect(text).not.toContain('job="other"');
    expect(text).toContain('migration_lock_retries_total{app="payments"} 3');
    expect(text).toContain('migration_phase_duration_seconds_sum{phase="backup"} 2.5');
  });
});
