import { backoffMs, isRetryable } from './pg-error';

/** What one retried call went through: kept on success and carried on failure. */
export interface RetryState {
  /** Attempts made or skipped, the first included. */
  attempts: number;
  /** Attempts that were not made because the blocker still held what it held. */
  skipped: number;
  /** Time spent in failed attempts and in the waits between them. */
  waitedMs: number;
}

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

/** The last error of a retried call, with everything its attempts went through. */
export class RetryFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly state: RetryState,
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Runs `work` until it succeeds, an error that cannot pass on a retry comes, or the attempts run
 * out. The state is per call: each call counts its own attempts and waits, and a failure carries
 * them (as `RetryFailure`), so what was learned is never dropped on the way to the report.
 */
export async function withLockRetries<T>(work: (attempt: number) => Promise<T>, options: RetryOptions): Promise<{ value: T; state: RetryState }> {
  const state: RetryState = { attempts: 0, skipped: 0, waitedMs: 0 };
  const retryable = options.retryable ?? isRetryable;
  const delayOf = options.delayMs ?? backoffMs;
  const waitSlot = options.waitSlot ?? (async (ms: number) => (await sleep(ms), { waitedMs: ms, blocked: false }));
  const attempts = Math.max(1, options.attempts);
  for (;;) {
    state.attempts++;
    const started = Date.now();
    try {
      return { value: await work(state.attempts), state };
    } catch (error) {
      if (!retryable(error)) throw new RetryFailure(error, state);
      // an attempt that met a lock it could not get: its time was spent waiting for that lock
      state.waitedMs += Date.now() - started;
      if (options.stopped?.()) throw new RetryFailure(error, state);
      let next = false;
      let afterSkip = false;
      while (!next && state.attempts < attempts) {
        const delayMs = delayOf(state.attempts);
        options.onRetry?.({ retry: state.attempts, attempts, delayMs, error, skipped: afterSkip });
        const slot = await waitSlot(delayMs);
        state.waitedMs += slot.waitedMs;
        if (options.stopped?.()) throw new RetryFailure(error, state);
        if (slot.blocked) {
          state.attempts++;
          state.skipped++;
          afterSkip = true;
        } else {
          next = true;
        }
      }
      if (!next) throw new RetryFailure(error, state);
    }
  }
}

/** Retries of a state: the attempts made after the first. */
export function retriesOf(state: RetryState): number {
  return Math.max(0, state.attempts - 1 - state.skipped);
}
