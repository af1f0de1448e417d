import { Pushgateway } from 'prom-client';
import { createRedactor } from '../redaction/redactor';
import type { MigrationMetrics } from './metrics';

export interface PushResult {
  ok: boolean;
  error?: string;
}

/**
 * Pushes to a Pushgateway (POST /metrics/job/<job>: a CLI run ends before any scrape). Never throws:
 * a metrics push must not change a run's outcome; the caller logs the error, which is redacted and
 * names no credential of the gateway's URL.
 */
export async function pushMetrics(metrics: MigrationMetrics, pushgatewayUrl: string, job = 'zdm_migrate', timeoutMs = 5000): Promise<PushResult> {
  const redact = createRedactor({ PUSHGATEWAY_URL: pushgatewayUrl });
  let timer: NodeJS.Timeout | undefined;
  try {
    // prom-client's timeout is the socket's idle time; the race bounds the whole push
    const gateway = new Pushgateway(pushgatewayUrl, { timeout: timeoutMs }, metrics.registry);
    const deadline = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
    });
    await Promise.race([gateway.pushAdd({ jobName: job }), deadline]);
    return { ok: true };
  } catch (error) {
    const message = String((error as Error)?.message ?? error);
    return { ok: false, error: redact(message === 'Pushgateway request timed out' ? `no answer within ${timeoutMs} ms` : message) };
  } finally {
    clearTimeout(timer);
  }
}
