import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Phase D, the flip (2/2): VALIDATE scans the table under SHARE UPDATE EXCLUSIVE (reads and writes
 * go on); the validated CHECK then lets SET NOT NULL skip its own scan under ACCESS EXCLUSIVE.
 * From this release on the code reads `reported_at` alone.
 */
export class ChargebacksReportedAtSetNotNull1705323600000 implements MigrationInterface {
  name = 'ChargebacksReportedAtSetNotNull1705323600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "chargebacks" VALIDATE CONSTRAINT "chargebacks_reported_at_not_null"`);
    await queryRunner.query(`ALTER TABLE "chargebacks" ALTER COLUMN "reported_at" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "chargebacks" DROP CONSTRAINT "chargebacks_reported_at_not_null"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "chargebacks" ALTER COLUMN "reported_at" DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE "chargebacks" ADD CONSTRAINT "chargebacks_reported_at_not_null" CHECK ("reported_at" IS NOT NULL) NOT VALID`);
  }
}
