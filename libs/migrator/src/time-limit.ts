/** The longest delay a Node timer takes; a longer one fires at once. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * `work`, unless it has not settled within `ms`: then the error `onTimeout` makes. Code that never
 * settles (a promise nobody resolves) ends there instead of holding the run for good; the timer
 * goes with the result.
 */
export async function withinTimeLimit<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.min(Math.max(0, ms), LONGEST_TIMER_MS));
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A timer for `ms`, clamped to what Node's timers take. */
export function timerFor(ms: number, fire: () => void): NodeJS.Timeout {
  return setTimeout(fire, Math.min(Math.max(0, ms), LONGEST_TIMER_MS));
}
