import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Phase D, the flip (1/2): a CHECK that new writes must pass at once, without scanning the old rows (NOT VALID). Written by `migrate generate --template add-not-null`. */
export class ChargebacksReportedAtCheckNotValid1705320000000 implements MigrationInterface {
  name = 'ChargebacksReportedAtCheckNotValid1705320000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "chargebacks" ADD CONSTRAINT "chargebacks_reported_at_not_null" CHECK ("reported_at" IS NOT NULL) NOT VALID`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "chargebacks" DROP CONSTRAINT "chargebacks_reported_at_not_null"`);
  }
}
