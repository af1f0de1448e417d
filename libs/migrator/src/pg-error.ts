import type { PgErrorFields } from './errors/migration-failed.error';

/** lock_not_available (lock_timeout) and deadlock_detected: the only errors worth another attempt. */
export const RETRYABLE_CODES = new Set(['55P03', '40P01']);
export const QUERY_CANCELED = '57014';

export function pgErrorFields(error: unknown): PgErrorFields {
  const e = error as { code?: string; message?: string; detail?: string; hint?: string; driverError?: unknown };
  // TypeORM wraps the driver's error in a QueryFailedError that keeps the fields
  const source = (e.code ? e : (e.driverError as typeof e | undefined)) ?? e;
  return { code: source.code, message: source.message ?? e.message ?? String(error), detail: source.detail, hint: source.hint };
}

export function isRetryable(error: unknown): boolean {
  const code = pgErrorFields(error).code;
  return code !== undefined && RETRYABLE_CODES.has(code);
}

/** Exponential backoff with jitter: 200 ms, 400 ms, 800 ms ... up to 10 s, each between half and all of it. */
export function backoffMs(attempt: number): number {
  const ceiling = Math.min(200 * 2 ** (attempt - 1), 10_000);
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}
