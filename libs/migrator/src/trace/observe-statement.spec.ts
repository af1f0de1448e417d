import { blocksOf, unionOfLocks } from './observe-statement';

describe('what a held lock blocks', () => {
  it.each([
    ['AccessShareLock', []],
    ['RowExclusiveLock', []],
    ['ShareUpdateExclusiveLock', []],
    ['ShareLock', ['INSERT/UPDATE/DELETE']],
    ['ShareRowExclusiveLock', ['INSERT/UPDATE/DELETE']],
    ['ExclusiveLock', ['INSERT/UPDATE/DELETE']],
    ['AccessExclusiveLock', ['SELECT', 'INSERT/UPDATE/DELETE']],
  ] as const)('%s blocks %j', (mode, blocked) => {
    expect(blocksOf(mode)).toEqual(blocked);
  });

  it('a transaction holds the strongest mode its statements took on each relation, until COMMIT', () => {
    const union = unionOfLocks([
      { relation: 'public.a', mode: 'ShareUpdateExclusiveLock', blocks: [] },
      { relation: 'public.a', mode: 'AccessExclusiveLock', blocks: [] },
      { relation: 'public.b', mode: 'ShareLock', blocks: [] },
      { relation: 'public.a', mode: 'RowExclusiveLock', blocks: [] },
    ]);
    expect(union).toEqual([
      { relation: 'public.a', mode: 'AccessExclusiveLock', blocks: ['SELECT', 'INSERT/UPDATE/DELETE'] },
      { relation: 'public.b', mode: 'ShareLock', blocks: ['INSERT/UPDATE/DELETE'] },
    ]);
  });
});
