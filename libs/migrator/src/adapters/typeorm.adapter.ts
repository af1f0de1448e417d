import type { DataSource, MigrationExecutor, QueryRunner } from 'typeorm';
import type { Migration as TypeOrmMigration } from 'typeorm/migration/Migration';
import { ConfigError } from '../errors/config.error';
import type { SchemaDiff } from '../generator';
import { exportedClasses, migrationFiles, requireModule } from '../module-loader';
import type { AdapterOptions, AppliedRecord, Direction, LoadedMigration, MigrationFile, MigrationSession, OrmAdapter, Queryable, StatementSink } from '../types';
import { historyRows, qualifiedTable, quoteIdent, readOverrides } from './adapter-support';

export type TypeOrmAdapterOptions = AdapterOptions;

type Query = QueryRunner['query'];

/** TypeORM is loaded when a migration runs or is planned, not for a run that finds nothing to do. */
const typeorm = () => require('typeorm') as typeof import('typeorm');

/** TypeORM's order key: the last 13 characters of the class name, a JavaScript timestamp. */
const ormTimestamp = (historyName: string) => Number.parseInt(historyName.slice(-13), 10);

/**
 * Runs TypeORM migrations with TypeORM's own QueryRunner (so its schema API behaves exactly as
 * under the plain CLI) and TypeORM's own history code; every query passes through the engine's sink.
 */
export class TypeOrmAdapter implements OrmAdapter {
  readonly orm = 'typeorm' as const;
  readonly historyTable: string;
  private dataSource?: DataSource;
  private runner?: QueryRunner;
  private rawQuery?: Query;

  constructor(private readonly options: TypeOrmAdapterOptions) {
    this.historyTable = qualifiedTable(options.historyTable ?? 'migrations', options.schema);
  }

  async connect(): Promise<MigrationSession> {
    this.dataSource = new (typeorm().DataSource)({
      type: 'postgres',
      url: this.options.url,
      schema: this.options.schema,
      migrationsTableName: this.options.historyTable ?? 'migrations',
      migrationsTransactionMode: 'each',
      applicationName: this.options.applicationName,
      entities: [],
      migrations: [],
      logging: false,
      extra: { max: 1, connectionTimeoutMillis: 10_000 },
    });
    await this.dataSource.initialize();
    this.runner = this.dataSource.createQueryRunner();
    await this.runner.connect();
    this.rawQuery = this.runner.query.bind(this.runner) as Query;
    const raw = this.rawQuery;
    const query = async (sql: string, params?: unknown[]) => {
      const result = await raw(sql, params, true);
      return { rows: (result.records ?? []) as Record<string, unknown>[], rowCount: result.affected ?? null };
    };
    // only for a tenant's schema: TypeORM's own CLI leaves search_path alone, and so do we otherwise
    const setUp = async () => {
      if (this.options.tenantSchema) await query(`set search_path to ${quoteIdent(this.options.tenantSchema)}, public`);
    };
    await setUp();
    const [{ pid }] = (await query('select pg_backend_pid() as pid')).rows as { pid: number }[];
    return { pid, query, reset: async () => (await query('reset all'), await setUp()) };
  }

  files(): MigrationFile[] {
    return migrationFiles(this.options.files);
  }

  compare(a: { name: string; historyName: string }, b: { name: string; historyName: string }): number {
    return ormTimestamp(a.historyName) - ormTimestamp(b.historyName) || a.name.localeCompare(b.name);
  }

  historyNameOf(): string | undefined {
    return undefined;
  }

  load({ name, file, checksum }: MigrationFile): LoadedMigration {
    const [MigrationClass] = exportedClasses(requireModule(file));
    if (!MigrationClass) throw new ConfigError(`${file} exports no migration class (a class with up() and down())`);
    const instance = new MigrationClass();
    const historyName = (typeof instance.name === 'string' && instance.name) || MigrationClass.name;
    const timestamp = ormTimestamp(historyName);
    if (!timestamp) {
      throw new ConfigError(
        `${this.options.app}/${name}: TypeORM needs a JavaScript timestamp at the end of the class name (e.g. CreateChargebacks1705309200000), got "${historyName}"`,
      );
    }
    const { Migration } = require('typeorm/migration/Migration') as typeof import('typeorm/migration/Migration');
    const transactional = instance.transaction !== false;
    return {
      name,
      file,
      checksum,
      historyName,
      ormTimestamp: timestamp,
      transactional,
      overrides: readOverrides(instance),
      run: (direction, sink) =>
        this.withSink(sink, (runner) => (instance[direction] as (qr: QueryRunner) => Promise<void>).call(instance, runner), transactional),
      record: (direction, sink) => this.record(direction, new Migration(undefined, timestamp, historyName), sink),
    };
  }

  private executor(): MigrationExecutor {
    return new (typeorm().MigrationExecutor)(this.dataSource!, this.runner);
  }

  private record(direction: Direction, migration: TypeOrmMigration, sink: StatementSink): Promise<void> {
    // TypeORM's own history code, so the row is exactly what the plain CLI writes and reads
    const executor = this.executor() as unknown as Record<string, (qr: QueryRunner, m: TypeOrmMigration) => Promise<void>>;
    const method = direction === 'up' ? 'insertExecutedMigration' : 'deleteExecutedMigration';
    return this.withSink(sink, (runner) => executor[method].call(executor, runner, migration));
  }

  ensureHistoryTable(sink: StatementSink): Promise<void> {
    const executor = this.executor() as unknown as { createMigrationsTableIfNotExist(qr: QueryRunner): Promise<void> };
    return this.withSink(sink, (runner) => executor.createMigrationsTableIfNotExist(runner));
  }

  /**
   * Routes every query of `work` (TypeORM's schema API included) through the sink. Inside the
   * runner's transaction the QueryRunner knows it is in one, as under TypeORM's own CLI: a nested
   * `startTransaction()` makes a savepoint, not a second BEGIN.
   */
  private async withSink(sink: StatementSink, work: (runner: QueryRunner) => Promise<void>, inTransaction = false): Promise<void> {
    const runner = this.runner!;
    const raw = this.rawQuery!;
    const state = runner as unknown as { isTransactionActive: boolean; transactionDepth: number; loadedTables: unknown[]; loadedViews: unknown[] };
    // TypeORM's schema API caches the tables it read, and updates the cache as if its statements had
    // run: after a plan (statements captured, not run) the cache would be wrong, so each run starts
    // from the database
    state.loadedTables = [];
    state.loadedViews = [];
    if (inTransaction) Object.assign(state, { isTransactionActive: true, transactionDepth: 1 });
    runner.query = ((sql: string, params?: unknown[], structured?: boolean) =>
      sink({ sql, params }, async (s, p) => {
        const result = await raw(s, p, true);
        return { result: structured ? result : result.raw, rowCount: result.affected ?? null };
      })) as Query;
    try {
      await work(runner);
    } finally {
      runner.query = raw;
      if (inTransaction) Object.assign(state, { isTransactionActive: false, transactionDepth: 0 });
    }
  }

  async applied(reader: Queryable): Promise<AppliedRecord[]> {
    // TypeORM keeps no time of application: the run log has it for what we applied
    return (await historyRows(reader, this.historyTable, 'name')).map((row) => ({ historyName: String(row.name), appliedAt: null }));
  }

  ormTimestampOf(historyName: string): number {
    return ormTimestamp(historyName);
  }

  async close(): Promise<void> {
    await this.runner?.release().catch(() => undefined);
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * What TypeORM's own generator would put in a new migration: the entities of the app's
 * DataSource file against the live database.
 */
export async function typeOrmSchemaDiff(options: { dataSourceFile: string; url: string }): Promise<SchemaDiff> {
  const module = requireModule(options.dataSourceFile);
  const { DataSource } = typeorm();
  const dataSource = [module.default, module.dataSource, ...Object.values(module)].find((v): v is DataSource => v instanceof DataSource);
  if (!dataSource) throw new ConfigError(`${options.dataSourceFile} exports no TypeORM DataSource (export default new DataSource(...))`);
  dataSource.setOptions({ url: options.url, migrations: [], logging: false, synchronize: false, migrationsRun: false });
  await dataSource.initialize();
  try {
    const log = await dataSource.driver.createSchemaBuilder().log();
    return { up: log.upQueries.map((q) => q.query), down: log.downQueries.map((q) => q.query).reverse() };
  } finally {
    await dataSource.destroy();
  }
}
