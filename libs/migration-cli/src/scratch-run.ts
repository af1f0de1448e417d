import { defaultEmbeddedDataDir } from '@zdm/db';
import { databaseKey, MigrationEngine, ScratchServer, type EngineOptions, type ScratchDatabase } from '@zdm/migrator';
import type { ResolvedApp } from './config/load-config';
import type { CommandContext } from './context';
import { engineApp } from './runtime';

/** The scratch server of a command: `--scratch-url`, else the embedded server of the project. */
export function openScratchServer(ctx: CommandContext, scratchUrl?: string): Promise<ScratchServer> {
  return ScratchServer.open({ url: scratchUrl, dataDir: defaultEmbeddedDataDir(ctx.config.rootDir, ctx.env), log: (line) => ctx.out.debug(line) });
}

/**
 * Scratch databases standing in for the apps' targets: one per target database, so apps that
 * share a database on the target share one here too. Each app keeps its history schema.
 */
export class ScratchTargets {
  private readonly databases = new Map<string, ScratchDatabase>();

  private constructor(
    private readonly ctx: CommandContext,
    readonly server: ScratchServer,
    private readonly apps: { app: ResolvedApp; scratch: ScratchDatabase }[],
  ) {}

  /** For the apps and their real targets (as the command resolved them), a scratch database per target database. */
  static async create(ctx: CommandContext, server: ScratchServer, apps: ResolvedApp[]): Promise<ScratchTargets> {
    const targets = await ctx.connect(apps);
    const byDatabase = new Map<string, ScratchDatabase>();
    const mapped: { app: ResolvedApp; scratch: ScratchDatabase }[] = [];
    for (const { app, target } of targets) {
      const key = databaseKey(target);
      if (!byDatabase.has(key)) byDatabase.set(key, await server.create());
      mapped.push({ app, scratch: byDatabase.get(key)! });
    }
    const result = new ScratchTargets(ctx, server, mapped);
    for (const [key, db] of byDatabase) result.databases.set(key, db);
    return result;
  }

  /**
   * An engine of our own runner over the scratch databases, as `up`, `down` and `plan` use on the
   * target. The lint gate is the target's business: a scratch run builds, it does not judge, so
   * call `up({ unsafeOk: true })` on it.
   */
  engine(command: string, onEvent?: EngineOptions['onEvent'], only?: string[]): MigrationEngine {
    const settings = this.ctx.settings();
    return new MigrationEngine({
      apps: this.apps.filter(({ app }) => !only || only.includes(app.name)).map(({ app, scratch }) => engineApp({ app, target: app.schema ? { ...scratch.target, schema: app.schema } : scratch.target })),
      settings: settings.engine,
      runId: this.ctx.runId,
      command,
      host: settings.host,
      gitSha: settings.gitSha,
      onEvent,
      redact: this.ctx.out.redact,
      lint: this.ctx.config.lint,
    });
  }

  /** The scratch database standing in for an app's target (with the app's history schema). */
  targetOf(appName: string): ScratchDatabase['target'] {
    const entry = this.apps.find(({ app }) => app.name === appName);
    if (!entry) throw new Error(`no scratch database for app ${appName}`);
    return entry.app.schema ? { ...entry.scratch.target, schema: entry.app.schema } : entry.scratch.target;
  }

  /** Drops the scratch databases. */
  async drop(): Promise<void> {
    for (const db of this.databases.values()) await db.drop().catch(() => undefined);
    this.databases.clear();
  }
}
