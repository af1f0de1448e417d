import { MODULE_OPTIONS_TOKEN } from './backfill.module-definition';

/** The token the module's options are provided under. */
export const BACKFILL_OPTIONS = MODULE_OPTIONS_TOKEN;
/** Every minute: the design's cadence. */
export const DEFAULT_BACKFILL_SCHEDULE = '0 * * * * *';
/** A tick stops taking batches after this long, so ticks of one job never overlap. */
export const DEFAULT_TICK_BUDGET_MS = 50_000;
/** A job whose ticks move no row this many times in a row, with rows left, is alerted as stalled. */
export const STALLED_AFTER_TICKS = 3;
