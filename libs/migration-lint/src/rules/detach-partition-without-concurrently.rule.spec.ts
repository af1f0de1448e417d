import { lintSql } from '../lint';

const hits = async (sql: string, pgVersion?: number) =>
  (await lintSql(sql, { transactional: false, pgVersion })).filter((f) => f.rule === 'detach-partition-without-concurrently');

describe('detach-partition-without-concurrently', () => {
  it.each(['ALTER TABLE events DETACH PARTITION events_2023', 'ALTER TABLE public.events DETACH PARTITION public.events_2023'])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ severity: 'error', fix: expect.stringContaining('CONCURRENTLY (PostgreSQL 14+)') });
  });

  it('on PostgreSQL 13, where no CONCURRENTLY form exists, the fix says so', async () => {
    const [finding] = await hits('ALTER TABLE events DETACH PARTITION events_2023', 13);
    expect(finding.fix).toMatch(/PostgreSQL 13 has no CONCURRENTLY form/);
  });

  it.each(['ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY', 'ALTER TABLE events DETACH PARTITION events_2023 FINALIZE'])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
