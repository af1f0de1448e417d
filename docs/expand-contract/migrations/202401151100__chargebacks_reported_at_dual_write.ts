import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Phase C, dual write: while the release before this one still inserts chargebacks without
 * `reported_at`, the database fills it in, so every new row has it from now on (the backfill of
 * phase B covers the old rows). This release's code writes it itself and reads
 * `coalesce(reported_at, created_at)` until phase D.
 */
export class ChargebacksReportedAtDualWrite1705316400000 implements MigrationInterface {
  name = 'ChargebacksReportedAtDualWrite1705316400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE FUNCTION "chargebacks_fill_reported_at"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."reported_at" IS NULL THEN NEW."reported_at" := NEW."created_at"; END IF;
  RETURN NEW;
END
$$`);
    await queryRunner.query(`CREATE TRIGGER "chargebacks_fill_reported_at" BEFORE INSERT ON "chargebacks" FOR EACH ROW EXECUTE FUNCTION "chargebacks_fill_reported_at"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "chargebacks_fill_reported_at" ON "chargebacks"`);
    await queryRunner.query(`DROP FUNCTION "chargebacks_fill_reported_at"()`);
  }
}
