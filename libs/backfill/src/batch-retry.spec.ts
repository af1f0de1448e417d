import { batchRetry } from './backfill.runner';

describe('which failed batches are retried', () => {
  it('retries lock waits, deadlocks and serialization failures', () => {
    for (const code of ['55P03', '40P01', '40001']) expect(batchRetry({ code, message: 'x' })).toBe('retry');
  });

  it('halves the batch after its own statement_timeout, but not after a cancel from outside', () => {
    expect(batchRetry({ code: '57014', message: 'canceling statement due to statement timeout' })).toBe('shrink');
    expect(batchRetry({ code: '57014', message: 'canceling statement due to user request' })).toBeUndefined();
  });

  it('fails at once on anything else', () => {
    expect(batchRetry({ code: '42703', message: 'column "no_such_column" does not exist' })).toBeUndefined();
    expect(batchRetry({ code: '22012', message: 'division by zero' })).toBeUndefined();
    expect(batchRetry(new Error('Connection terminated unexpectedly'))).toBeUndefined();
  });
});
