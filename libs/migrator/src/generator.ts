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

/** A `YYYYMMDDHHmm` not used by any file in `dir`, from `now` on. */
export function freshTimestamp(dir: string, now = new Date()): string {
  const taken = new Set(existsSync(dir) ? readdirSync(dir).map((f) => f.slice(0, 12)) : []);
  let at = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  while (taken.has(timestampPrefix(at))) at = new Date(at.getTime() + 60_000);
  return timestampPrefix(at);
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
  const source =
    options.orm === 'typeorm'
      ? `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${pascal(options.description)}${ms} implements MigrationInterface {
  name = '${pascal(options.description)}${ms}';

  async up(queryRunner: QueryRunner): Promise<void> {
${body(options.diff.up, (sql) => `await queryRunner.query(${sql})`)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${body(options.diff.down, (sql) => `await queryRunner.query(${sql})`)}
  }
}
`
      : `import { Migration } from '@mikro-orm/migrations';

export class Migration${prefix}${pascal(options.description)} extends Migration {
  override async up(): Promise<void> {
${body(options.diff.up, (sql) => `this.addSql(${sql})`)}
  }

  override async down(): Promise<void> {
${body(options.diff.down, (sql) => `this.addSql(${sql})`)}
  }
}
`;
  mkdirSync(options.dir, { recursive: true });
  const file = join(options.dir, `${name}.ts`);
  writeFileSync(file, source);
  return file;
}
