import type { MikroORM, Options } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { ConfigError } from '../errors/config.error';
import type { SchemaDiff } from '../generator';
import { exportedClasses, migrationFiles, requireModule } from '../module-loader';
import type { AdapterOptions, AppliedRecord, ExecuteResult, LoadedMigration, MigrationFile, MigrationSession, OrmAdapter, Queryable, SessionResult, StatementSink } from '../types';
import { historyRows, qualifiedTable, quoteIdent, readOverrides } from './adapter-support';

export type MikroOrmAdapterOptions = AdapterOptions;

/** MikroORM is loaded when a migration runs or is planned, not for a run that finds nothing to do. */
const mikroOrm = () => require('@mikro-orm/postgresql') as typeof import('@mikro-orm/postgresql');

interface MikroMigration extends Record<string, unknown> {
  up(): Promise<void>;
  down(): Promise<void>;
  isTransactional(): boolean;
  reset(): void;
  getQueries(): unknown[];
  execute(sql: unknown, params?: unknown[]): Promise<unknown>;
}

/** A query MikroORM collected that is not a plain string: a `raw()` fragment or a query builder. */
function toSql(query: unknown): { sql: string; params?: unknown[] } {
  if (typeof query === 'string') return { sql: query };
  const q = query as { sql?: string; params?: unknown[]; getFormattedQuery?: () => string; toString(): string };
  if (typeof q.getFormattedQuery === 'function') return { sql: q.getFormattedQuery() };
  if (typeof q.sql === 'string') return { sql: q.sql, params: q.params };
  return { sql: String(query) };
}

/**
 * Runs MikroORM migrations: the migration classes collect their SQL with `addSql()` as under the
 * plain CLI; the engine executes each statement on one session of its own. The history table and
 * its rows are MikroORM's (`mikro_orm_migrations`, file name without extension).
 */
export class MikroOrmAdapter implements OrmAdapter {
  readonly orm = 'mikro-orm' as const;
  readonly historyTable: string;
  private readonly tableName: string;
  private orm_?: MikroORM;
  private client?: Client;
  private session?: MigrationSession;

  constructor(private readonly options: MikroOrmAdapterOptions) {
    this.tableName = options.historyTable ?? 'mikro_orm_migrations';
    this.historyTable = qualifiedTable(this.tableName, options.schema);
  }

  /** The ORM instance the migration classes are constructed with; it never opens a connection of its own here. */
  private mikro(): MikroORM {
    this.orm_ ??= new (mikroOrm().MikroORM)({
      clientUrl: this.options.url,
      schema: this.options.schema,
      entities: [],
      discovery: { warnWhenNoEntities: false },
      debug: false,
      allowGlobalContext: true,
    });
    return this.orm_;
  }

  async connect(): Promise<MigrationSession> {
    this.client = new Client({ connectionString: this.options.url, application_name: this.options.applicationName, connectionTimeoutMillis: 10_000 });
    await this.client.connect();
    const client = this.client;
    const query = async (sql: string, params?: unknown[]): Promise<SessionResult> => {
      const result = await client.query(sql, params);
      const last = Array.isArray(result) ? result[result.length - 1] : result;
      return { rows: last?.rows ?? [], rowCount: last?.rowCount ?? null };
    };
    const setUp = async () => {
      const schema = this.options.tenantSchema ?? this.options.schema;
      if (schema) await query(`set search_path to ${quoteIdent(schema)}, public`);
    };
    await setUp();
    const [{ pid }] = (await query('select pg_backend_pid() as pid')).rows as { pid: number }[];
    this.session = { pid, query, reset: async () => (await query('reset all'), await setUp()) };
    return this.session;
  }

  files(): MigrationFile[] {
    return migrationFiles(this.options.files);
  }

  /**
   * MikroORM runs migrations in the order of its glob's paths sorted by code unit (`Array#sort`
   * with no comparator): `abc1.ts` before `abc_1.ts` before `abcd.ts`. Not localeCompare, which
   * orders punctuation first (and whose first call loads ICU's collation, a tenth of a cold start).
   */
  compare(a: MigrationFile, b: MigrationFile): number {
    const [x, y] = [a.file, b.file];
    return x < y ? -1 : x > y ? 1 : 0;
  }

  /** MikroORM's history holds the file name. */
  historyNameOf(file: MigrationFile): string {
    return file.name;
  }

  load({ name, file, checksum }: MigrationFile): LoadedMigration {
    const [MigrationClass] = exportedClasses(requireModule(file));
    if (!MigrationClass) throw new ConfigError(`${file} exports no migration class (a class extending Migration with up())`);
    const orm = this.mikro();
    const create = () => new MigrationClass(orm.driver, orm.config) as unknown as MikroMigration;
    const probe = create();
    return {
      name,
      file,
      checksum,
      historyName: name,
      transactional: probe.isTransactional(),
      overrides: readOverrides(probe),
      run: async (direction, sink) => {
        const migration = create();
        migration.reset();
        // reads inside up()/down() (this.execute) run on the same session, through the sink
        migration.execute = (sql: unknown, params?: unknown[]) => {
          const statement = toSql(sql);
          return sink({ sql: statement.sql, params: params ?? statement.params }, (s, p) => this.execute(s, p, (r) => r.rows));
        };
        await migration[direction]();
        for (const query of migration.getQueries()) {
          const statement = toSql(query);
          if (!statement.sql.trim()) continue;
          await sink(statement, (s, p) => this.execute(s, p));
        }
      },
      record: async (direction, sink) => {
        const names = direction === 'up' ? [name] : [name, `${name}.js`, `${name}.ts`];
        const sql =
          direction === 'up'
            ? `insert into ${this.historyTable} ("name") values ($1)`
            : `delete from ${this.historyTable} where "name" in ($1, $2, $3)`;
        await sink({ sql, params: names }, (s, p) => this.execute(s, p));
      },
    };
  }

  async ensureHistoryTable(sink: StatementSink): Promise<void> {
    const exists = (await sink({ sql: 'select to_regclass($1) is not null as present', params: [this.historyTable] }, (s, p) => this.execute(s, p))) as SessionResult;
    if (exists.rows[0]?.present) return;
    // the DDL MikroORM's own MigrationStorage.ensureTable() builds
    const platform = this.mikro().driver.getPlatform();
    const table = new (mikroOrm().DatabaseTable)(platform, this.tableName, this.options.schema);
    table.addColumn({
      name: 'id',
      type: platform.getIntegerTypeDeclarationSQL({ autoincrement: true, unsigned: true }),
      mappedType: platform.getMappedType('number'),
      primary: true,
      autoincrement: true,
    });
    table.addColumn({ name: 'name', type: platform.getVarcharTypeDeclarationSQL({}), mappedType: platform.getMappedType('string') });
    const length = platform.getDefaultDateTimeLength();
    table.addColumn({
      name: 'executed_at',
      type: platform.getDateTimeTypeDeclarationSQL({ length }),
      mappedType: platform.getMappedType('datetime'),
      default: platform.getCurrentTimestampSQL(length),
      length,
    });
    for (const sql of platform.getSchemaHelper()!.createTable(table)) await sink({ sql }, (s, p) => this.execute(s, p));
  }

  private async execute(sql: string, params: unknown[] | undefined, shape: (r: SessionResult) => unknown = (r) => r): Promise<ExecuteResult> {
    const result = await this.session!.query(sql, params);
    return { result: shape(result), rowCount: result.rowCount };
  }

  async applied(reader: Queryable): Promise<AppliedRecord[]> {
    return (await historyRows(reader, this.historyTable, 'name, executed_at')).map((row) => ({
      historyName: String(row.name).replace(/\.[jt]s$/, ''),
      appliedAt: row.executed_at ? new Date(row.executed_at as string) : null,
    }));
  }

  async close(): Promise<void> {
    await this.client?.end().catch(() => undefined);
  }
}

/** What MikroORM's schema generator would change: the entities of the app's config file against the live database. */
export async function mikroOrmSchemaDiff(options: { configFile: string; url: string; skipTables?: string[] }): Promise<SchemaDiff> {
  const module = requireModule(options.configFile);
  let config = (module.default ?? module.config ?? module) as Options | (() => Options | Promise<Options>);
  if (typeof config === 'function') config = await config();
  const own = config as Options;
  // the toolkit's tables and the other apps' history tables are never this app's to drop
  const skipTables = [...(own.schemaGenerator?.skipTables ?? []), ...(options.skipTables ?? [])];
  const orm = await mikroOrm().MikroORM.init({ ...own, clientUrl: options.url, debug: false, schemaGenerator: { ...own.schemaGenerator, skipTables } });
  try {
    const diff = await orm.schema.getUpdateSchemaMigrationSQL({ wrap: false });
    const split = (sql: string) => sql.split(/;\s*\n/).map((s) => s.trim().replace(/;$/, '')).filter(Boolean);
    return { up: split(diff.up), down: split(diff.down) };
  } finally {
    await orm.close(true);
  }
}
