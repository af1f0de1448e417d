import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './errors/config.error';
import { timestampPrefix, timestampOf } from './naming';
import type { OrmName } from './types';

export interface SchemaDiff {
  up: string[];
  down: string[];
}

const DESCRIPTION = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;

const pascal = (description: string) => description.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
const literal = (sql: string) => '`' + sql.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${') + '`';

/**
 * A `YYYYMMDDHHmm` not used by any file in `dir`, from `now` on and after the newest timestamped
 * file there (one dated ahead of the clock included), so the new migration runs last.
 */
export function freshTimestamp(dir: string, now = new Date()): string {
  const prefixes = existsSync(dir) ? readdirSync(dir).map((f) => f.replace(/\.[cm]?[jt]s$/, '')).filter((f) => timestampOf(f) !== undefined).map((f) => f.slice(0, 12)) : [];
  const newest = Math.max(0, ...prefixes.map((p) => timestampOf(`${p}__x`)!));
  let at = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  if (at.getTime() <= newest) at = new Date(newest + 60_000);
  const taken = new Set(prefixes);
  while (taken.has(timestampPrefix(at))) at = new Date(at.getTime() + 60_000);
  return timestampPrefix(at);
}

const CREATE_INDEX = /^(\s*create\s+(?:unique\s+)?index)\s+(?!concurrently\b)/i;
const DROP_INDEX = /^(\s*drop\s+index)\s+(?!concurrently\b)/i;
const INDEX_TABLE = /\bon\s+(?:only\s+)?((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)/i;
const CREATE_TABLE = /^\s*create\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)/i;
const bareName = (name: string) => name.split('.').pop()!.replace(/"/g, '').toLowerCase();

/**
 * An ORM's diff with its index builds made safe for a live table: when it creates or drops an index
 * of a table that already exists, every `CREATE INDEX`/`DROP INDEX` becomes `CONCURRENTLY` (no
 * lock that blocks writes) and the migration runs outside a transaction, which CONCURRENTLY needs.
 * Indexes of tables the same migration creates stay as they are: nobody uses those tables yet.
 */
export function withConcurrentIndexes(diff: SchemaDiff): SchemaDiff & { transactional: boolean } {
  const created = new Set(diff.up.map((sql) => CREATE_TABLE.exec(sql)?.[1]).filter((t): t is string => Boolean(t)).map(bareName));
  const onLiveTable = (sql: string) => {
    if (DROP_INDEX.test(sql)) return true;
    if (!CREATE_INDEX.test(sql)) return false;
    const table = INDEX_TABLE.exec(sql)?.[1];
    return !table || !created.has(bareName(table));
  };
  if (!diff.up.some(onLiveTable)) return { ...diff, transactional: true };
  const concurrently = (sql: string) => {
    if (DROP_INDEX.test(sql)) return sql.replace(DROP_INDEX, '$1 CONCURRENTLY ');
    if (onLiveTable(sql)) return sql.replace(CREATE_INDEX, '$1 CONCURRENTLY ');
    return sql;
  };
  return { up: diff.up.map(concurrently), down: diff.down.map(concurrently), transactional: false };
}

/**
 * Writes a migration named `YYYYMMDDHHmm__description` with the ORM's own file shape; for
 * TypeORM the class name ends with the same instant in epoch milliseconds (TypeORM's order key).
 */
export function checkDescription(description: string): void {
  if (!DESCRIPTION.test(description)) {
    throw new ConfigError(`"${description}" is not a migration description: use lower-case words joined by _, e.g. add_refund_reason`);
  }
}

export function writeMigration(options: { orm: OrmName; dir: string; description: string; diff: SchemaDiff; now?: Date }): string {
  checkDescription(options.description);
  const prefix = freshTimestamp(options.dir, options.now);
  const name = `${prefix}__${options.description}`;
  const ms = timestampOf(name)!;
  const body = (statements: string[], call: (sql: string) => string) => statements.map((sql) => `    ${call(literal(sql))};`).join('\n');
  const diff = withConcurrentIndexes(options.diff);
  const source =
    options.orm === 'typeorm'
      ? `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${pascal(options.description)}${ms} implements MigrationInterface {
  name = '${pascal(options.description)}${ms}';
${diff.transactional ? '' : `  // CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction
  transaction = false as const;
`}
  async up(queryRunner: QueryRunner): Promise<void> {
${body(diff.up, (sql) => `await queryRunner.query(${sql})`)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${body(diff.down, (sql) => `await queryRunner.query(${sql})`)}
  }
}
`
      : `import { Migration } from '@mikro-orm/migrations';

export class Migration${prefix}${pascal(options.description)} extends Migration {
${diff.transactional ? '' : `  // CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction
  override isTransactional(): boolean {
    return false;
  }

`}  override async up(): Promise<void> {
${body(diff.up, (sql) => `this.addSql(${sql})`)}
  }

  override async down(): Promise<void> {
${body(diff.down, (sql) => `this.addSql(${sql})`)}
  }
}
`;
  mkdirSync(options.dir, { recursive: true });
  const file = join(options.dir, `${name}.ts`);
  writeFileSync(file, source);
  return file;
}
