import { MigrationNameError } from './errors/migration-name.error';

export const TIMESTAMPED_NAME = /^(\d{12})__([a-z0-9]+(?:_[a-z0-9]+)*)$/;

/** The UTC instant of a `YYYYMMDDHHmm` prefix, in epoch milliseconds (TypeORM's class-name timestamp). */
export function timestampOf(name: string): number | undefined {
  const match = TIMESTAMPED_NAME.exec(name);
  if (!match) return undefined;
  const t = match[1];
  const ms = Date.UTC(+t.slice(0, 4), +t.slice(4, 6) - 1, +t.slice(6, 8), +t.slice(8, 10), +t.slice(10, 12));
  const back = new Date(ms);
  // 202413011200 would roll over into another month: not a real instant
  return back.getUTCMonth() + 1 === +t.slice(4, 6) && back.getUTCDate() === +t.slice(6, 8) && back.getUTCHours() === +t.slice(8, 10) ? ms : undefined;
}

/** `YYYYMMDDHHmm` of a date, in UTC. */
export function timestampPrefix(date: Date): string {
  return date.toISOString().replace(/[-T:]/g, '').slice(0, 12);
}

/**
 * Enforces `YYYYMMDDHHmm__description` with unique timestamps, for apps whose config says
 * `"naming": "timestamped"`; for TypeORM also that the class name ends with the same instant.
 */
export function checkTimestampedNames(app: string, migrations: { name: string; ormTimestamp?: number }[]): void {
  const seen = new Map<string, string>();
  for (const m of migrations) {
    const ms = timestampOf(m.name);
    if (ms === undefined) {
      throw new MigrationNameError(
        `${app}: migration file "${m.name}" breaks the naming rule YYYYMMDDHHmm__description (lower-case words joined by _), e.g. 202401150900__create_chargebacks; rename the file`,
      );
    }
    const prefix = m.name.slice(0, 12);
    const other = seen.get(prefix);
    if (other) {
      throw new MigrationNameError(`${app}: migrations "${other}" and "${m.name}" share the timestamp ${prefix}; give one of them a later minute`);
    }
    seen.set(prefix, m.name);
    if (m.ormTimestamp !== undefined && m.ormTimestamp !== ms) {
      throw new MigrationNameError(
        `${app}/${m.name}: the class name ends with ${m.ormTimestamp}, but the file name's instant is ${ms} (TypeORM orders by the class name): end the class name with ${ms}`,
      );
    }
  }
}
