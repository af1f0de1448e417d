import { lintSql } from '../lint';

const hits = async (sql: string, transactional = true) => (await lintSql(sql, { transactional })).filter((f) => f.rule === 'transaction-control-in-migration');

describe('transaction-control-in-migration', () => {
  it.each(['COMMIT', 'END', 'BEGIN', 'START TRANSACTION', 'ROLLBACK', "PREPARE TRANSACTION 'x'"])('flags %s in a transactional migration', async (sql) => {
    const [finding, ...more] = await hits(`ALTER TABLE chargebacks ADD COLUMN note text; ${sql}; CREATE TABLE audit (id int)`);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'transaction-control-in-migration', severity: 'error', fix: expect.stringContaining('SAVEPOINT') });
  });

  it.each(['SAVEPOINT typeorm_1', 'RELEASE SAVEPOINT typeorm_1', 'ROLLBACK TO SAVEPOINT typeorm_1'])('accepts the savepoint %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });

  it('accepts BEGIN and COMMIT in a non-transactional migration, which manages its own transactions', async () => {
    expect(await hits('BEGIN; UPDATE chargebacks SET status = status; COMMIT', false)).toEqual([]);
  });
});
