import { lintSql } from '../lint';

const hits = async (sql: string) => (await lintSql(sql, { transactional: true })).filter((f) => f.rule === 'overriding-runner-timeouts');

describe('overriding-runner-timeouts', () => {
  it.each([
    'SET lock_timeout = 0',
    'SET statement_timeout TO 0',
    "SET LOCAL lock_timeout = '0'",
    'RESET lock_timeout',
    'RESET ALL',
    "SELECT set_config('statement_timeout', '0', false)",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ severity: 'warning', fix: expect.stringContaining('lockTimeoutMs') });
  });

  it.each(['SET search_path TO billing', "SELECT set_config('application_name', 'x', false)", 'SELECT 1'])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
