import { parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['2s', 2000],
    ['5m', 300_000],
    ['1500', 1500],
    ['1.5s', 1500],
  ])('reads %s as %i ms', (text, ms) => expect(parseDuration(text, 'X')).toBe(ms));

  it('names the variable and the accepted forms when the value is not a duration', () => {
    expect(() => parseDuration('soon', 'MIGRATION_LOCK_TIMEOUT')).toThrow(/MIGRATION_LOCK_TIMEOUT="soon" is not a duration: use 250ms, 2s, 5m/);
  });
});
