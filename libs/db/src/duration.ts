import { DatabaseConfigError } from './errors/database-config.error';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `250ms`, `2s`, `5m`, `1h` or bare milliseconds; `name` is used in the error. */
export function parseDuration(value: string, name: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!match) {
    throw new DatabaseConfigError(`${name}=${JSON.stringify(value)} is not a duration: use 250ms, 2s, 5m, 1h or bare milliseconds`);
  }
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']);
}

export function formatDuration(ms: number): string {
  if (ms < 10) return `${Math.round(ms * 10) / 10} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
