/** What one retried call went through: kept on success and carried on failure. */
export interface RetryState {
  /** Attempts made or skipped, the first included. */
  attempts: number;
  /** Attempts that were not made because `wait` said the next one would meet the same obstacle. */
  skipped: number;
  /** Time spent in failed attempts and in the waits between them. */
  waitedMs: number;
}

export interface RetryPolicy {
  /** Attempts in all, the first included (at least 1). */
  attempts: number;
  /** Whether an error can pass on another attempt (default: every error). */
  retryable?: (error: unknown) => boolean;
  /** The wait before the attempt after `attempt` (1 for the first), given the error it met; default none. */
  delay?: (attempt: number, error: unknown) => number;
  /**
   * Waits out a delay (default: a timer). `skip` says that what failed the last attempt is still
   * there: the next attempt is then not made, only counted, and the next delay waited.
   */
  wait?: (delayMs: number) => Promise<{ waitedMs: number; skip?: boolean }>;
  /** True once the caller wants no more attempts (a signal arrived). */
  stopped?: () => boolean;
  /** Before each wait: `retry` is the attempt that failed (or was skipped). */
  onRetry?: (info: { retry: number; attempts: number; delayMs: number; error: unknown; skipped: boolean }) => void;
}

/** The last error of a retried call, with everything its attempts went through. */
export class RetryFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly state: RetryState,
  ) {
    super(error instanceof Error ? error.message : String(error));
    this.name = 'RetryFailure';
  }
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Runs `work` until it succeeds, an error that cannot pass on a retry comes, the caller stops, or
 * the attempts run out. The state is per call: each call counts its own attempts and waits, and a
 * failure carries them (as `RetryFailure`), so what was learned is never dropped on the way to the
 * report. The one retry loop of the toolkit: the runner's lock retries, alert delivery and
 * backfill batches build on it.
 */
export async function retry<T>(work: (attempt: number, state: Readonly<RetryState>) => Promise<T>, policy: RetryPolicy): Promise<{ value: T; state: RetryState }> {
  const state: RetryState = { attempts: 0, skipped: 0, waitedMs: 0 };
  const retryable = policy.retryable ?? (() => true);
  const delayOf = policy.delay ?? (() => 0);
  const wait = policy.wait ?? (async (ms: number): Promise<{ waitedMs: number; skip?: boolean }> => (await sleep(ms), { waitedMs: ms }));
  const attempts = Math.max(1, policy.attempts);
  for (;;) {
    state.attempts++;
    const started = Date.now();
    try {
      return { value: await work(state.attempts, state), state };
    } catch (error) {
      if (!retryable(error)) throw new RetryFailure(error, state);
      state.waitedMs += Date.now() - started;
      if (policy.stopped?.()) throw new RetryFailure(error, state);
      let next = false;
      let afterSkip = false;
      while (!next && state.attempts < attempts) {
        const delayMs = delayOf(state.attempts, error);
        policy.onRetry?.({ retry: state.attempts, attempts, delayMs, error, skipped: afterSkip });
        const slot = await wait(delayMs);
        state.waitedMs += slot.waitedMs;
        if (policy.stopped?.()) throw new RetryFailure(error, state);
        if (slot.skip) {
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
