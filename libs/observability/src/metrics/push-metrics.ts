import { createRedactor } from '../redaction/redactor';
import type { MigrationMetrics } from './metrics';

export interface PushResult {
  ok: boolean;
  error?: string;
}

/**
 * Pushes to a Pushgateway (POST /metrics/job/<job>/env/<env>/app/<apps>: a CLI run ends before any
 * scrape). The grouping key holds the environment and the apps of the run, so staging's push never
 * replaces production's, nor one app's run another's. Never throws:
 * a metrics push must not change a run's outcome; the caller logs the error, which is redacted and
 * names no credential of the gateway's URL.
 */
export interface PushGrouping {
  env: string;
  /** The apps of the run: one push group per selection (`ledger+payments`). */
  apps: string[];
  /** A fleet target's own group, when its series carry a `target` label. */
  target?: string;
}

export async function pushMetrics(metrics: MigrationMetrics, pushgatewayUrl: string, job = 'zdm_migrate', timeoutMs = 5000, grouping?: PushGrouping): Promise<PushResult> {
  const redact = createRedactor({ PUSHGATEWAY_URL: pushgatewayUrl });
  let timer: NodeJS.Timeout | undefined;
  try {
    // prom-client's timeout is the socket's idle time; the race bounds the whole push
    const { Pushgateway } = require('prom-client') as typeof import('prom-client');
    const gateway = new Pushgateway(pushgatewayUrl, { timeout: timeoutMs }, metrics.registry);
    const deadline = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
    });
    const groupings = grouping ? { env: grouping.env, app: [...grouping.apps].sort().join('+'), ...(grouping.target === undefined ? {} : { target: grouping.target }) } : undefined;
    await Promise.race([gateway.pushAdd({ jobName: job, groupings }), deadline]);
    return { ok: true };
  } catch (error) {
    const message = String((error as Error)?.message ?? error);
    return { ok: false, error: redact(message === 'Pushgateway request timed out' ? `no answer within ${timeoutMs} ms` : message) };
  } finally {
    clearTimeout(timer);
  }
}
