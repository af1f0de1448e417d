import { lintSql } from '../lint';

const hits = async (sql: string, transactional = false, pgVersion?: number) => (await lintSql(sql, { transactional, pgVersion })).filter((f) => f.rule === 'ban-truncate');

describe('ban-truncate', () => {
  it.each([
    // public examples (squawk, strong_migrations)
    "truncate a, b, c cascade",

    "TRUNCATE chargebacks",
    "TRUNCATE TABLE billing.chargebacks RESTART IDENTITY",
    "TRUNCATE users CASCADE",
    "TRUNCATE a, b",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'ban-truncate', message: expect.any(String), fix: expect.any(String) });
  });

  it.each([
    "CREATE TABLE t (id int); TRUNCATE t",
    "DELETE FROM chargebacks WHERE id < 100",
  ])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });

  it('says CASCADE empties the referencing tables too', async () => {
    expect((await hits('TRUNCATE users CASCADE'))[0].message).toMatch(/CASCADE also empties every table with a foreign key/);
    expect((await hits('TRUNCATE users'))[0].message).not.toMatch(/CASCADE/);
  });
});
