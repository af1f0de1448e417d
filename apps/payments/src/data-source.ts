import 'reflect-metadata';
import { join } from 'node:path';
import { appConnection, typeOrmOptions } from '@zdm/db';
import { DataSource } from 'typeorm';
import { PAYMENTS_ENTITIES } from './entities';

/**
 * The payments DataSource, for the plain TypeORM CLI too:
 * `typeorm-ts-node-commonjs migration:show -d apps/payments/src/data-source.ts`.
 */
export default new DataSource(
  typeOrmOptions({
    target: appConnection('payments', join(__dirname, '../../..')),
    entities: PAYMENTS_ENTITIES,
    migrations: [join(__dirname, '../migrations/*.{ts,js}')],
    applicationName: 'payments',
  }),
);
