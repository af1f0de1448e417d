export type OrmKind = 'typeorm' | 'mikro-orm';

/**
 * Many databases (or schemas) for one app, a fleet of tenants. Each target is one run: its own run
 * lock, run id, run log and revert.
 */
export type TargetsConfig =
  /** An environment variable holding the targets' URLs, one a line or comma-separated; a target is named by its database. */
  | { urls: string }
  /** A query on a control database (`url`: the variable holding its URL) returning `name` and `url` columns. */
  | { query: string; url: string }
  /** A schema per tenant in the app's one database: a query returning the schema names (first column); each schema has its own history. */
  | { schemas: string; url?: string };

export interface AppConfig {
  /** The app's name: `--app <name>`, the run log, alerts. */
  name: string;
  orm: OrmKind;
  /**
   * Globs or folders of the app's migration files, relative to the config file. Without it, the
   * migrations `dataSource` (its `migrations` globs) or `mikroOrmConfig` (`migrations.path`) lists.
   */
  migrations?: string | string[];
  /** The variable that holds the app's database URL (default `<NAME>_DATABASE_URL`, then `DATABASE_URL`). */
  urlEnv?: string;
  /** The ORM's history table (default: `migrations` for TypeORM, `mikro_orm_migrations` for MikroORM). */
  historyTable?: string;
  /** The schema of the history table and the run log (also `?schema=` on the URL). */
  schema?: string;
  /** `timestamped` enforces `YYYYMMDDHHmm__description` with unique timestamps; without it the ORM's own rules hold. */
  naming?: 'timestamped' | 'orm';
  /** TypeORM: the file exporting the app's DataSource (entities), for `generate` and `check`. */
  dataSource?: string;
  /** MikroORM: the app's config file (entities), for `generate` and `check`. */
  mikroOrmConfig?: string;
  /** Globs of the app's backfill job files. */
  backfills?: string | string[];
  /**
   * A migration name: history up to and including it is never judged by `up`'s lint gate, so an
   * adopted project's old files don't block its first run (`init` writes the newest existing one).
   */
  lintBaseline?: string;
  /** A fleet: the app's migrations run on every target instead of one database. */
  targets?: TargetsConfig;
}

/** The linter's settings, for `lint`, `plan` and `up`'s gate. */
export interface LintConfig {
  /** A rule's level by its id: `error` (blocks `up`, exit 5), `warning`, `info`, or `off`. */
  rules?: Record<string, 'error' | 'warning' | 'info' | 'off'>;
  /** The server major to judge by (default: the connected server's, else 18). */
  pgVersion?: number;
}

export interface MigrateConfig {
  apps: AppConfig[];
  lint?: LintConfig;
}

/** Types a `migrate.config.ts`. */
export function defineConfig(config: MigrateConfig): MigrateConfig {
  return config;
}
