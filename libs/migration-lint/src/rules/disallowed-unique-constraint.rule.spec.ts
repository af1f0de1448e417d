import { lintSql } from '../lint';

const hits = async (sql: string) => (await lintSql(sql, { transactional: false })).filter((f) => f.rule === 'disallowed-unique-constraint');

describe('disallowed-unique-constraint', () => {
  it.each([
    "ALTER TABLE ledger_accounts ADD CONSTRAINT code_unique UNIQUE (code)",
    "ALTER TABLE t2 ADD PRIMARY KEY (id)",
    // squawk's example
    "ALTER TABLE table_name ADD CONSTRAINT field_name_constraint UNIQUE (field_name)",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'disallowed-unique-constraint', message: expect.any(String), fix: expect.any(String) });
  });

  it.each([
    "ALTER TABLE ledger_accounts ADD CONSTRAINT code_unique UNIQUE USING INDEX idx_code",
    "ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_pkey PRIMARY KEY USING INDEX idx_ledger_accounts_id",
    "ALTER TABLE ledger_accounts ADD UNIQUE USING INDEX idx_code",
    "CREATE TABLE t (id int); ALTER TABLE t ADD PRIMARY KEY (id)",
  ])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
