import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import type { MigrationMetrics } from './metrics';

/**
 * Writes the text exposition for node exporter's textfile collector. Atomically: a temp file
 * beside the target (same filesystem, and not *.prom, so the collector never reads it half
 * written), then a rename over the target.
 */
export async function writeMetricsFile(metrics: MigrationMetrics, path: string): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, await metrics.text(), { mode: 0o644 });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
