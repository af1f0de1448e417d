import { Chargeback } from './chargeback.entity';

/** The entities of the payments app. */
export const PAYMENTS_ENTITIES = [Chargeback];
