import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { checkDescription, ConfigError, freshTimestamp, openClient, timestampOf, type OrmName } from '@zdm/migrator';
import type { ResolvedApp } from '../config/load-config';
import type { CommandContext } from '../context';
import { migrationsDir } from './schema-diff';

import { TEMPLATES } from './choices';

export { TEMPLATES };
export type TemplateName = (typeof TEMPLATES)[number];

/** What the target's catalog says about the column a rename or type change replaces: what the contract step's down() must bring back. */
export interface OldColumn {
  type: string;
  notNull: boolean;
  default: string | null;
  /** pg_get_indexdef of the indexes on that column alone. */
  indexes: string[];
}

export interface TemplateOptions {
  template: string;
  oldColumn?: OldColumn;
  table?: string;
  column?: string;
  type?: string;
  to?: string;
  references?: string;
}

/** A statement of a step, and the reason for a lint rule it sets off on purpose. */
interface Statement {
  sql: string;
  ignore?: { rule: string; reason: string };
}

/** One migration a template writes: its own transaction or none (CONCURRENTLY). */
interface Step {
  suffix: string;
  transactional: boolean;
  up: Statement[];
  down: Statement[];
  /** Printed after the file: when it ships. */
  note?: string;
}

interface Plan {
  steps: Step[];
  backfill?: { name: string; table: string; set: string; where: string };
}

const id = (name: string) => `"${name.replace(/"/g, '""')}"`;
const table = (name: string) => name.split('.').map(id).join('.');
const short = (s: string) => s.replace(/[^a-z0-9_]/gi, '_').slice(0, 40);

function need(options: TemplateOptions, ...keys: (keyof TemplateOptions)[]): void {
  const missing = keys.filter((k) => !options[k]);
  if (missing.length) throw new ConfigError(`--template ${options.template} needs ${missing.map((k) => `--${k}`).join(', ')}`);
}

/**
 * The safe multi-step shape of a common change (the design's expand/contract phases): each step a
 * migration of its own, so no statement holds a strong lock for long, and each down() restores
 * the schema its up() started from.
 */
function plan(options: TemplateOptions): Plan {
  const t = options.table!;
  const c = options.column!;
  switch (options.template as TemplateName) {
    case 'add-column':
      need(options, 'table', 'column', 'type');
      return {
        steps: [
          {
            suffix: '',
            transactional: true,
            // nullable, no volatile default: a catalog-only change under a short lock
            up: [{ sql: `ALTER TABLE ${table(t)} ADD COLUMN ${id(c)} ${options.type}` }],
            down: [{ sql: `ALTER TABLE ${table(t)} DROP COLUMN ${id(c)}`, ignore: { rule: 'ban-drop-column', reason: 'reverting the column this migration added' } }],
          },
        ],
      };
    case 'add-index': {
      need(options, 'table', 'column');
      const columns = c.split(',').map((x) => x.trim());
      const index = `idx_${short(t.split('.').pop()!)}_${columns.map(short).join('_')}`;
      return {
        steps: [
          {
            suffix: '',
            transactional: false,
            up: [{ sql: `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${id(index)} ON ${table(t)} (${columns.map(id).join(', ')})` }],
            down: [{ sql: `DROP INDEX CONCURRENTLY IF EXISTS ${id(index)}` }],
          },
        ],
      };
    }
    case 'add-not-null': {
      need(options, 'table', 'column');
      const check = `${short(t.split('.').pop()!)}_${short(c)}_not_null`;
      const add = `ALTER TABLE ${table(t)} ADD CONSTRAINT ${id(check)} CHECK (${id(c)} IS NOT NULL) NOT VALID`;
      return {
        steps: [
          { suffix: '_check_not_valid', transactional: true, up: [{ sql: add }], down: [{ sql: `ALTER TABLE ${table(t)} DROP CONSTRAINT ${id(check)}` }], note: 'new writes must set the column from here on; backfill the old rows before the next step' },
          {
            suffix: '_set_not_null',
            transactional: true,
            // VALIDATE scans under SHARE UPDATE EXCLUSIVE (reads and writes go on); the validated CHECK lets SET NOT NULL skip its scan
            up: [{ sql: `ALTER TABLE ${table(t)} VALIDATE CONSTRAINT ${id(check)}` }, { sql: `ALTER TABLE ${table(t)} ALTER COLUMN ${id(c)} SET NOT NULL` }, { sql: `ALTER TABLE ${table(t)} DROP CONSTRAINT ${id(check)}` }],
            down: [{ sql: `ALTER TABLE ${table(t)} ALTER COLUMN ${id(c)} DROP NOT NULL` }, { sql: add }],
          },
        ],
      };
    }
    case 'add-foreign-key': {
      need(options, 'table', 'column', 'references');
      const ref = /^([\w.]+)\s*\(\s*(\w+)\s*\)$/.exec(options.references!);
      if (!ref) throw new ConfigError(`--references ${options.references}: expected table(column), e.g. payments(id)`);
      const fk = `fk_${short(t.split('.').pop()!)}_${short(c)}`;
      const add = `ALTER TABLE ${table(t)} ADD CONSTRAINT ${id(fk)} FOREIGN KEY (${id(c)}) REFERENCES ${table(ref[1])} (${id(ref[2])}) NOT VALID`;
      return {
        steps: [
          { suffix: '_not_valid', transactional: true, up: [{ sql: add }], down: [{ sql: `ALTER TABLE ${table(t)} DROP CONSTRAINT ${id(fk)}` }] },
          {
            suffix: '_validate',
            transactional: true,
            up: [{ sql: `ALTER TABLE ${table(t)} VALIDATE CONSTRAINT ${id(fk)}` }],
            // a validated constraint can't be made NOT VALID again but by dropping and adding it
            down: [{ sql: `ALTER TABLE ${table(t)} DROP CONSTRAINT ${id(fk)}` }, { sql: add }],
          },
        ],
      };
    }
    case 'rename-column':
    case 'change-type': {
      need(options, 'table', 'column', 'to', 'type');
      const to = options.to!;
      // without the target's catalog, the old column is taken as nullable, of the new type (a rename), with no index
      const old = options.oldColumn ?? { type: options.type!, notNull: false, default: null, indexes: [] };
      const base = `${short(t.split('.').pop()!)}_${short(c)}_${short(to)}`;
      const fn = `zdm_sync_${base}`.slice(0, 63);
      const trigger = `zdm_sync_${base}`.slice(0, 63);
      const createFunction = `CREATE FUNCTION ${id(fn)}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- while the old and the new release both run, each writes one column: keep the other equal
  IF TG_OP = 'INSERT' THEN
    IF NEW.${id(to)} IS NULL THEN NEW.${id(to)} := NEW.${id(c)}; ELSIF NEW.${id(c)} IS NULL THEN NEW.${id(c)} := NEW.${id(to)}; END IF;
  ELSIF NEW.${id(to)} IS DISTINCT FROM OLD.${id(to)} THEN NEW.${id(c)} := NEW.${id(to)};
  ELSIF NEW.${id(c)} IS DISTINCT FROM OLD.${id(c)} THEN NEW.${id(to)} := NEW.${id(c)};
  END IF;
  RETURN NEW;
END
$$`;
      const createTrigger = `CREATE TRIGGER ${id(trigger)} BEFORE INSERT OR UPDATE ON ${table(t)} FOR EACH ROW EXECUTE FUNCTION ${id(fn)}()`;
      const dropTrigger = `DROP TRIGGER ${id(trigger)} ON ${table(t)}`;
      const dropFunction = `DROP FUNCTION ${id(fn)}()`;
      return {
        steps: [
          {
            suffix: '_expand',
            transactional: true,
            up: [{ sql: `ALTER TABLE ${table(t)} ADD COLUMN ${id(to)} ${options.type}` }, { sql: createFunction }, { sql: createTrigger }],
            down: [{ sql: dropTrigger }, { sql: dropFunction }, { sql: `ALTER TABLE ${table(t)} DROP COLUMN ${id(to)}`, ignore: { rule: 'ban-drop-column', reason: 'reverting the column this migration added' } }],
            note: `then run the backfill, and ship code that reads ${to} (both columns stay equal meanwhile)`,
          },
          {
            suffix: '_contract',
            transactional: true,
            up: [{ sql: dropTrigger }, { sql: dropFunction }, { sql: `ALTER TABLE ${table(t)} DROP COLUMN ${id(c)}`, ignore: { rule: 'ban-drop-column', reason: `the contract step: no deployed release reads ${c} any more` } }],
            down: [
              { sql: `ALTER TABLE ${table(t)} ADD COLUMN ${id(c)} ${old.type}${old.default ? ` DEFAULT ${old.default}` : ''}` },
              { sql: `UPDATE ${table(t)} SET ${id(c)} = ${id(to)}` },
              ...(old.notNull ? [{ sql: `ALTER TABLE ${table(t)} ALTER COLUMN ${id(c)} SET NOT NULL` }] : []),
              ...old.indexes.map((sql) => ({ sql })),
              { sql: createFunction },
              { sql: createTrigger },
            ],
            note: `ship in a later release than the expand step, once the backfill is done and no deployed code reads ${c}; until then keep it out of the release`,
          },
        ],
        backfill: { name: `${short(t.split('.').pop()!)}-${short(to)}`.replace(/_/g, '-'), table: t, set: `${id(to)} = ${id(c)}`, where: `${id(to)} IS NULL AND ${id(c)} IS NOT NULL` },
      };
    }
    default:
      throw new ConfigError(`--template ${options.template}: expected one of ${TEMPLATES.join(', ')}`);
  }
}

const pascal = (description: string) => description.replace(/(^|_)([a-z0-9])/g, (_, __, ch: string) => ch.toUpperCase());
const literal = (sql: string) => '`' + sql.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${') + '`';

function source(orm: OrmName, prefix: string, name: string, description: string, step: Step): string {
  const body = (statements: Statement[], call: (sql: string) => string) =>
    statements.map((s) => `${s.ignore ? `    // zdm-lint-ignore ${s.ignore.rule}: ${s.ignore.reason}\n` : ''}    ${call(literal(s.sql))};`).join('\n');
  if (orm === 'typeorm') {
    const cls = `${pascal(description)}${timestampOf(name)!}`;
    return `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${cls} implements MigrationInterface {
  name = '${cls}';${step.transactional ? '' : '\n  // CONCURRENTLY cannot run inside a transaction\n  transaction = false as const;'}

  async up(queryRunner: QueryRunner): Promise<void> {
${body(step.up, (sql) => `await queryRunner.query(${sql})`)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${body(step.down, (sql) => `await queryRunner.query(${sql})`)}
  }
}
`;
  }
  return `import { Migration } from '@mikro-orm/migrations';

export class Migration${prefix}${pascal(description)} extends Migration {${
    step.transactional ? '' : '\n  // CONCURRENTLY cannot run inside a transaction\n  override isTransactional(): boolean {\n    return false;\n  }\n'
  }
  override async up(): Promise<void> {
${body(step.up, (sql) => `this.addSql(${sql})`)}
  }

  override async down(): Promise<void> {
${body(step.down, (sql) => `this.addSql(${sql})`)}
  }
}
`;
}

function backfillsDir(ctx: CommandContext, app: ResolvedApp, migrations: string): string {
  const first = app.backfills ? ([] as string[]).concat(app.backfills)[0] : undefined;
  if (!first) return join(dirname(migrations), 'backfills');
  let dir = dirname(isAbsolute(first) ? first : join(ctx.config.rootDir, first));
  while (/[*?{[]/.test(dir)) dir = dirname(dir);
  return dir;
}

/** `migrate generate <description> --template <name>`: the safe multi-step files of a common change, for one app. */
export async function templateCommand(ctx: CommandContext, description: string, options: TemplateOptions): Promise<number> {
  const apps = ctx.apps();
  if (apps.length !== 1) throw new ConfigError(`generate works on one app: add --app <name> (one of ${ctx.config.apps.map((a) => a.name).join(', ')})`);
  let oldColumn: OldColumn | undefined;
  if ((options.template === 'rename-column' || options.template === 'change-type') && options.table && options.column) oldColumn = await readOldColumn(ctx, apps[0], options.table, options.column);
  return generateFromTemplate(ctx, apps[0], description, { ...options, oldColumn });
}

/** The replaced column as the target has it (read from the catalog only), or undefined when the target can't say. */
async function readOldColumn(ctx: CommandContext, app: ResolvedApp, tableName: string, column: string): Promise<OldColumn | undefined> {
  let client;
  try {
    const [{ target }] = await ctx.connect([app]);
    client = await openClient(target, 'zdm-migrate generate');
    const { rows } = await client.query<{ type: string; not_null: boolean; default: string | null; indexes: string[] }>(
      `select format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null, pg_get_expr(d.adbin, d.adrelid) as default,
              coalesce((select array_agg(pg_get_indexdef(i.indexrelid) order by i.indexrelid) from pg_index i
                         where i.indrelid = a.attrelid and i.indnatts = 1 and i.indkey[0] = a.attnum and not i.indisprimary), '{}') as indexes
         from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where a.attrelid = to_regclass($1) and a.attname = $2 and a.attnum > 0 and not a.attisdropped`,
      [tableName, column],
    );
    const row = rows[0];
    if (!row) {
      ctx.out.warn(`${tableName}.${column} is not on the target yet: the contract step's down() re-adds it nullable, of type --type, with no index; check it with migrate verify`);
      return undefined;
    }
    return { type: row.type, notNull: row.not_null, default: row.default, indexes: row.indexes };
  } catch (error) {
    ctx.out.warn(`could not read ${tableName}.${column} from the target (${(error as Error).message}): the contract step's down() re-adds it nullable, of type --type, with no index`);
    return undefined;
  } finally {
    await client?.end().catch(() => undefined);
  }
}

function generateFromTemplate(ctx: CommandContext, app: ResolvedApp, description: string, options: TemplateOptions): number {
  checkDescription(description);
  const { steps, backfill } = plan(options);
  const dir = migrationsDir(ctx, app);
  mkdirSync(dir, { recursive: true });
  const written: { file: string; note?: string }[] = [];
  for (const step of steps) {
    const stepDescription = `${description}${step.suffix}`;
    checkDescription(stepDescription);
    const prefix = freshTimestamp(dir);
    const name = `${prefix}__${stepDescription}`;
    const file = join(dir, `${name}.ts`);
    writeFileSync(file, source(app.orm, prefix, name, stepDescription, step));
    written.push({ file, note: step.note });
  }
  if (backfill) {
    const folder = backfillsDir(ctx, app, dir);
    mkdirSync(folder, { recursive: true });
    const file = join(folder, `${backfill.name}.backfill.ts`);
    writeFileSync(
      file,
      `import { defineBackfill } from '@zdm/backfill';

/** Expand/contract, the data step: copies ${options.column} into ${options.to} in short keyset batches while both releases write. */
export default defineBackfill({
  name: '${backfill.name}',
  table: '${backfill.table}',
  set: '${backfill.set.replace(/'/g, "\\'")}',
  where: '${backfill.where.replace(/'/g, "\\'")}',
});
`,
    );
    written.splice(1, 0, { file, note: `run it with \`migrate backfill ${backfill.name} --app ${app.name}\` after the expand step is applied` });
  }
  if (ctx.out.json) ctx.out.document({ app: app.name, template: options.template, files: written.map((w) => ({ file: w.file, note: w.note ?? null })) });
  else for (const w of written) ctx.out.result(`${app.name}: wrote ${relative(ctx.streams.cwd, w.file)}${w.note ? ` (${w.note})` : ''}`);
  return 0;
}
