import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity('chargebacks')
export class Chargeback {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column({ type: 'uuid' })
  paymentId!: string;

  @Column({ type: 'bigint' })
  amountMinor!: string;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ type: 'varchar', length: 32 })
  status!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  /** Built concurrently by 202401151000__chargebacks_add_utr_reported_at. */
  @Index('idx_chargebacks_utr')
  @Column({ type: 'varchar', length: 64, nullable: true })
  utr!: string | null;

  /** Filled for old rows by the `chargebacks-reported-at` backfill. */
  @Column({ type: 'timestamptz', nullable: true })
  reportedAt!: Date | null;
}
