import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Expand step: two nullable columns (a catalog-only change) and an index built without blocking
 * writes. CREATE INDEX CONCURRENTLY cannot run inside a transaction, hence `transaction = false`.
 */
export class ChargebacksAddUtrReportedAt1705312800000 implements MigrationInterface {
  name = 'ChargebacksAddUtrReportedAt1705312800000';
  transaction = false as const;

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "chargebacks" ADD "utr" character varying(64)`);
    await queryRunner.query(`ALTER TABLE "chargebacks" ADD "reported_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_chargebacks_utr" ON "chargebacks" ("utr")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "idx_chargebacks_utr"`);
    await queryRunner.query(`ALTER TABLE "chargebacks" DROP COLUMN "reported_at"`);
    await queryRunner.query(`ALTER TABLE "chargebacks" DROP COLUMN "utr"`);
  }
}
