import { appEnvPrefix, defaultEmbeddedDataDir, EMBEDDED_DATABASE, resolveDatabaseUrl, startEmbeddedPostgres, type ConnectionTarget, type EmbeddedServer, type Env } from '@zdm/db';
import { ConfigError, type EngineApp, type OrmAdapter } from '@zdm/migrator';
import type { LoadedConfig, ResolvedApp } from './config/load-config';

export interface AppConnection {
  app: ResolvedApp;
  target: ConnectionTarget;
}

/** Connections for the selected apps; the embedded server is started once, only if an app needs it. */
export class Connections {
  private embedded?: EmbeddedServer;

  constructor(
    private readonly config: LoadedConfig,
    private readonly env: Env,
    private readonly log: (line: string) => void,
    private readonly options: { embeddedAllowed: boolean } = { embeddedAllowed: true },
  ) {}

  async resolve(apps: ResolvedApp[]): Promise<AppConnection[]> {
    const result: AppConnection[] = [];
    for (const app of apps) {
      let target = resolveDatabaseUrl(app.name, this.env, app.urlEnv);
      if (!target) {
        if (!this.options.embeddedAllowed) {
          const own = app.urlEnv ?? `${appEnvPrefix(app.name)}_DATABASE_URL`;
          throw new ConfigError(
            `app ${app.name}: no DATABASE_URL or ${own}, and ENV/NODE_ENV says production or staging: set DATABASE_URL (or ${own}), or pass --embedded to use the embedded PostgreSQL anyway`,
          );
        }
        if (!this.embedded) {
          const dataDir = defaultEmbeddedDataDir(this.config.rootDir, this.env);
          this.embedded = await startEmbeddedPostgres({ dataDir, database: EMBEDDED_DATABASE });
          this.log(`no DATABASE_URL: using the embedded PostgreSQL in ${dataDir} (port ${this.embedded.target.port}${this.embedded.owned ? ', started for this run' : ', already running'})`);
        }
        target = this.embedded.target;
      }
      result.push({ app, target: app.schema ? { ...target, schema: app.schema } : target });
    }
    return result;
  }

  async stop(): Promise<void> {
    if (this.embedded?.owned) await this.embedded.stop();
    this.embedded = undefined;
  }
}

/** The engine's view of an app: its adapter (loaded only for the ORMs in use) and its database. */
export function engineApp({ app, target }: AppConnection, tenantSchema?: string): EngineApp {
  const common = {
    tenantSchema,
    app: app.name,
    url: target.url,
    schema: target.schema,
    files: app.files,
    historyTable: app.historyTable,
    applicationName: `zdm-migrate ${app.name}`,
  };
  let adapter: OrmAdapter;
  if (app.orm === 'typeorm') {
     
    const { TypeOrmAdapter } = require('@zdm/migrator/typeorm') as typeof import('@zdm/migrator/typeorm');
    adapter = new TypeOrmAdapter(common);
  } else {
     
    const { MikroOrmAdapter } = require('@zdm/migrator/mikro-orm') as typeof import('@zdm/migrator/mikro-orm');
    adapter = new MikroOrmAdapter(common);
  }
  return { name: app.name, orm: app.orm, adapter, target, naming: app.naming, lintBaseline: app.lintBaseline };
}
