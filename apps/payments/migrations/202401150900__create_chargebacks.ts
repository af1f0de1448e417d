import type { MigrationInterface, QueryRunner } from 'typeorm';

/** TypeORM orders by the class name's last 13 digits: 1705309200000 is 2024-01-15 09:00 UTC. */
export class CreateChargebacks1705309200000 implements MigrationInterface {
  name = 'CreateChargebacks1705309200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "chargebacks" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "payment_id" uuid NOT NULL, "amount_minor" bigint NOT NULL, "currency" character(3) NOT NULL, "status" character varying(32) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_64643c031958b172f11fa1bc9e4" PRIMARY KEY ("id"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "chargebacks"`);
  }
}
