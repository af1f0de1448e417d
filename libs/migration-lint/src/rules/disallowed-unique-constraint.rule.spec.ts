import { lintSql } from '../lint';

const hits = async (sql: string) => (await lintSql(sql, { transactional: false })).filter((f) => f.rule === 'disallowed-unique-constraint');

describe('disallowed-unique-constraint', () => {
  it.each(["ALTER TABLE ledger_accounts ADD CONSTRAINT code_unique UNIQUE (code)", "ALTER TABLE t2 ADD PRIMARY KEY (id)"])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'disallowed-unique-constraint', message: expect.any(String), fix: expect.any(String) });
  });

  it.each(["ALTER TABLE ledger_accounts ADD CONSTRAINT code_unique UNIQUE USING INDEX idx_code"])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
