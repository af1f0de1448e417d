import { lintSql } from '../lint';

const hits = async (sql: string) => (await lintSql(sql, { transactional: false })).filter((f) => f.rule === 'constraint-missing-not-valid');

describe('constraint-missing-not-valid', () => {
  it.each([
    // public examples (squawk, strong_migrations)
    "ALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY (org_id) REFERENCES orgs (id)",
    "ALTER TABLE \"users\" ADD CONSTRAINT \"price_check\" CHECK (\"price\" > 0)",
    "ALTER TABLE \"app_user\" ADD CONSTRAINT \"fk_user\" FOREIGN KEY (\"user_id\") REFERENCES \"user\" (\"id\")",
    "ALTER TABLE ledger_entries ADD CONSTRAINT fk_a FOREIGN KEY (account_id) REFERENCES ledger_accounts (id)",
    "ALTER TABLE chargebacks ADD CONSTRAINT positive CHECK (amount_minor > 0)",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'constraint-missing-not-valid', message: expect.any(String), fix: expect.any(String) });
  });

  it.each([
    // public examples (squawk, strong_migrations)
    "ALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID",
    "ALTER TABLE users VALIDATE CONSTRAINT fk",
    "ALTER TABLE ledger_entries ADD CONSTRAINT fk_a FOREIGN KEY (account_id) REFERENCES ledger_accounts (id) NOT VALID",
    "ALTER TABLE chargebacks VALIDATE CONSTRAINT positive",
    "CREATE TABLE t (id int, a int); ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)",
  ])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
