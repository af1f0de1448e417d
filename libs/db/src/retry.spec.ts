import { retriesOf, retry, RetryFailure } from './retry';

const failing = (errors: unknown[]) => {
  let i = 0;
  return async () => {
    if (i < errors.length) throw errors[i++];
    return 'ok';
  };
};

describe('retry: the one retry loop', () => {
  it('retries until success, with each wait from delay(attempt, error), and keeps the state', async () => {
    const waits: number[] = [];
    const delays: [number, string][] = [];
    const { value, state } = await retry(failing([new Error('a'), new Error('b')]), {
      attempts: 5,
      delay: (attempt, error) => (delays.push([attempt, (error as Error).message]), attempt * 10),
      wait: async (ms) => (waits.push(ms), { waitedMs: ms }),
    });
    expect(value).toBe('ok');
    expect(delays).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    expect(waits).toEqual([10, 20]);
    expect(state).toMatchObject({ attempts: 3, skipped: 0 });
    expect(state.waitedMs).toBeGreaterThanOrEqual(30);
    expect(retriesOf(state)).toBe(2);
  });

  it('a failure lost its attempts and waits on the way to the report', async () => {
    const failure = await retry(failing([1, 2, 3, 4]), { attempts: 3, wait: async (ms) => ({ waitedMs: ms + 5 }) }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RetryFailure);
    expect((failure as RetryFailure).error).toBe(3);
    expect((failure as RetryFailure).state).toMatchObject({ attempts: 3, skipped: 0 });
    expect((failure as RetryFailure).state.waitedMs).toBeGreaterThanOrEqual(10);
  });

  it('stops at once on an error retryable() refuses, and when the caller stops', async () => {
    const refused = (await retry(failing([new Error('syntax')]), { attempts: 5, retryable: () => false }).catch((e: unknown) => e)) as RetryFailure;
    expect(refused.state.attempts).toBe(1);
    let stop = false;
    const stopped = (await retry(failing([1, 2, 3]), { attempts: 5, stopped: () => stop, wait: async () => ((stop = true), { waitedMs: 0 }) }).catch((e: unknown) => e)) as RetryFailure;
    expect(stopped.state.attempts).toBe(1);
  });

  it('counts a skipped attempt without making it', async () => {
    let calls = 0;
    let slots = 0;
    const { state } = await retry(
      async () => {
        calls++;
        if (calls === 1) throw new Error('locked');
        return 'ok';
      },
      { attempts: 4, wait: async () => ({ waitedMs: 1, skip: ++slots === 1 }) },
    );
    expect({ calls, attempts: state.attempts, skipped: state.skipped, retries: retriesOf(state) }).toEqual({ calls: 2, attempts: 3, skipped: 1, retries: 1 });
  });

  it('each call has its own state', async () => {
    const [a, b] = await Promise.all([retry(failing([1]), { attempts: 3, wait: async () => ({ waitedMs: 0 }) }), retry(failing([]), { attempts: 3 })]);
    expect([a.state.attempts, b.state.attempts]).toEqual([2, 1]);
  });
});
