import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Phase E, clean: no deployed release inserts without `reported_at` any more, so the compatibility trigger of phase C goes. */
export class ChargebacksReportedAtClean1705327200000 implements MigrationInterface {
  name = 'ChargebacksReportedAtClean1705327200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "chargebacks_fill_reported_at" ON "chargebacks"`);
    await queryRunner.query(`DROP FUNCTION "chargebacks_fill_reported_at"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE FUNCTION "chargebacks_fill_reported_at"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."reported_at" IS NULL THEN NEW."reported_at" := NEW."created_at"; END IF;
  RETURN NEW;
END
$$`);
    await queryRunner.query(`CREATE TRIGGER "chargebacks_fill_reported_at" BEFORE INSERT ON "chargebacks" FOR EACH ROW EXECUTE FUNCTION "chargebacks_fill_reported_at"()`);
  }
}
