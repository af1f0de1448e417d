import { lintRun, lintSql } from '../lint';

const hits = async (sql: string, transactional = true, pgVersion?: number) => (await lintSql(sql, { transactional, pgVersion })).filter((f) => f.rule === 'validate-in-same-transaction');

describe('validate-in-same-transaction', () => {
  it.each([
    "ALTER TABLE chargebacks ADD CONSTRAINT fk_org FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID; ALTER TABLE chargebacks VALIDATE CONSTRAINT fk_org",
    "ALTER TABLE chargebacks ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID; UPDATE chargebacks SET amount = 1 WHERE amount <= 0; ALTER TABLE chargebacks VALIDATE CONSTRAINT amount_positive",
    "ALTER TABLE billing.chargebacks ADD CONSTRAINT utr_not_null NOT NULL utr NOT VALID; ALTER TABLE billing.chargebacks VALIDATE CONSTRAINT utr_not_null",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'validate-in-same-transaction', message: expect.any(String), fix: expect.any(String) });
  });

  it.each([
    "ALTER TABLE chargebacks VALIDATE CONSTRAINT fk_org",
    "ALTER TABLE chargebacks ADD CONSTRAINT fk_org FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID",
    "ALTER TABLE chargebacks ADD CONSTRAINT fk_org FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID; ALTER TABLE refunds VALIDATE CONSTRAINT fk_org",
    "ALTER TABLE chargebacks ADD CONSTRAINT fk_org FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID; ALTER TABLE chargebacks VALIDATE CONSTRAINT other",
    "CREATE TABLE t (a int); ALTER TABLE t ADD CONSTRAINT a_positive CHECK (a > 0) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT a_positive",
  ])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });

  it('accepts both in one non-transactional migration (each statement commits on its own)', async () => {
    expect(await hits('ALTER TABLE chargebacks ADD CONSTRAINT fk_org FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID; ALTER TABLE chargebacks VALIDATE CONSTRAINT fk_org', false)).toEqual([]);
  });

  it('accepts the ADD and the VALIDATE in two migrations of one run (each has its own transaction)', async () => {
    const findings = await lintRun([
      { statements: ['ALTER TABLE chargebacks ADD CONSTRAINT fk_org FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID'], context: { transactional: true } },
      { statements: ['ALTER TABLE chargebacks VALIDATE CONSTRAINT fk_org'], context: { transactional: true } },
    ]);
    expect(findings.filter((f) => f.rule === 'validate-in-same-transaction')).toEqual([]);
  });

  it('flags the pair when it is split across statement strings of one migration', async () => {
    const findings = await lintRun([
      { statements: ['ALTER TABLE chargebacks ADD CONSTRAINT fk_org FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID', 'ALTER TABLE chargebacks VALIDATE CONSTRAINT fk_org'], context: { transactional: true } },
    ]);
    expect(findings.filter((f) => f.rule === 'validate-in-same-transaction').map((f) => f.statementIndex)).toEqual([1]);
  });
});
