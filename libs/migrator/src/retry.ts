import { retry, type RetryState } from '@zdm/db';
import { backoffMs, isRetryable } from './pg-error';

export { RetryFailure, retriesOf, type RetryState } from '@zdm/db';

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Whether an error can pass on another attempt (default: lock timeout 55P03 and deadlock 40P01). */
  retryable?: (error: unknown) => boolean;
  /** The backoff before the given retry (1 for the first), default exponential with jitter. */
  delayMs?: (retry: number) => number;
  /**
   * Waits out a backoff slot. `blocked` says that what blocked the last attempt still holds it: the
   * next attempt is then skipped (and counted), since it would only queue behind the same blocker.
   */
  waitSlot?: (delayMs: number) => Promise<{ waitedMs: number; blocked: boolean }>;
  /** True once the caller wants no more attempts (a signal arrived). */
  stopped?: () => boolean;
  onRetry?: (info: { retry: number; attempts: number; delayMs: number; error: unknown; skipped: boolean }) => void;
}

/**
 * The runner's lock retries, on the toolkit's one retry helper: lock timeouts and deadlocks are
 * retried with exponential backoff and jitter, and an attempt whose blocker still holds its lock is
 * skipped. A failed attempt's time counts as lock wait: it was spent waiting for a lock.
 */
export function withLockRetries<T>(work: (attempt: number) => Promise<T>, options: RetryOptions): Promise<{ value: T; state: RetryState }> {
  const delayMs = options.delayMs ?? backoffMs;
  const waitSlot = options.waitSlot;
  return retry((attempt) => work(attempt), {
    attempts: options.attempts,
    retryable: options.retryable ?? isRetryable,
    delay: (attempt) => delayMs(attempt),
    wait: waitSlot && (async (ms) => {
      const slot = await waitSlot(ms);
      return { waitedMs: slot.waitedMs, skip: slot.blocked };
    }),
    stopped: options.stopped,
    onRetry: options.onRetry,
  });
}
