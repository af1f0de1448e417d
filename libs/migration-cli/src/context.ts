import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { envValue, loadEnv, type ConnectionTarget, type Env } from '@zdm/db';
import { ConfigError, MigrationEngine, type EngineOptions } from '@zdm/migrator';
import { lazyLogger } from '@zdm/observability/logging';
import { createRedactor } from '@zdm/observability/redaction';
import type { MigrationMetrics } from '@zdm/observability';
import { findConfig, loadConfig, whichConfigWins, type LoadedConfig, type ResolvedApp } from './config/load-config';
import { EDGE_VARIABLES } from './edge-variables';
import { Output } from './output';
import { Connections, engineApp } from './runtime';
import { readBaseSettings, withLockWait, type BaseSettings, type RunSettings } from './settings';
import type { Streams } from './streams';

export interface GlobalOptions {
  config?: string;
  app: string[];
  json?: boolean;
  verbose?: boolean;
  /** Use the embedded server even where ENV or NODE_ENV says production or staging. */
  embedded?: boolean;
}

export type { Streams } from './streams';

/** Everything a command needs, built once from the flags, the config file and the environment. */
export class CommandContext {
  private connections?: Connections;
  private base?: BaseSettings;
  /** A fleet target's own context: its apps' connections, fixed. */
  private fixed?: { name: string; targets: Map<string, ConnectionTarget>; tenantSchema?: string };

  private constructor(
    readonly runId: string,
    readonly streams: Streams,
    readonly global: GlobalOptions,
    readonly config: LoadedConfig,
    readonly env: Env,
    readonly envFiles: string[],
    readonly out: Output,
  ) {}

  static create(streams: Streams, global: GlobalOptions): CommandContext {
    const file = global.config ? resolve(streams.cwd, global.config) : findConfig(streams.cwd);
    if (!file) throw new ConfigError(`no migrate.config.ts, .js or .json in ${streams.cwd} or above: pass --config <path>, or run \`migrate init\` to write one`);
    const config = loadConfig(file);
    const { env, files } = loadEnv(config.rootDir, streams.env);
    for (const name of EDGE_VARIABLES) envValue(env, name);
    const redactor = createRedactor(env);
    const runId = randomUUID();
    const logger = lazyLogger({ env, redactor, stream: streams.stderr, isTTY: streams.isTTY, verbose: global.verbose, bindings: { runId } });
    const out = new Output(streams.stdout, logger, redactor, Boolean(global.json), Boolean(global.verbose));
    const context = new CommandContext(runId, streams, global, config, env, files, out);
    const several = global.config ? undefined : whichConfigWins(dirname(file));
    if (several) out.warn(several);
    out.debug(`config ${config.file}; env files: ${files.length ? files.join(', ') : 'none'}`);
    return context;
  }

  /** The settings, read from the env once per command; --lock-wait is the only per-call input. */
  settings(lockWait?: string): RunSettings {
    this.base ??= readBaseSettings(this.env, { cwd: this.config.rootDir });
    return withLockWait(this.base, lockWait);
  }

  /** The apps chosen with --app (default: all, in configured order). */
  apps(): ResolvedApp[] {
    const names = this.global.app;
    if (!names.length) return this.config.apps;
    const known = this.config.apps.map((a) => a.name);
    const unknown = names.filter((n) => !known.includes(n));
    if (unknown.length) throw new ConfigError(`--app ${unknown.join(', ')}: no such app in ${this.config.file}; the apps are ${known.join(', ')}`);
    return this.config.apps.filter((a) => names.includes(a.name));
  }

  /** The registry a fleet's targets count into, published once by the fleet; undefined with --metrics-target-label. */
  fleetMetrics?: MigrationMetrics;

  /** The fleet target this context runs for, if any. */
  get target(): string | undefined {
    return this.fixed?.name;
  }

  /**
   * The context of one fleet target: the same config, env and streams, its own run id, its apps'
   * connections fixed to the target's, and its name on everything it prints.
   */
  forTarget(name: string, targets: Map<string, ConnectionTarget>, tenantSchema?: string, fleetMetrics?: MigrationMetrics): CommandContext {
    const runId = randomUUID();
    const logger = lazyLogger({ env: this.env, redactor: this.out.redact, stream: this.streams.stderr, isTTY: this.streams.isTTY, verbose: this.global.verbose, bindings: { runId, target: name } });
    const out = new Output(this.streams.stdout, logger, this.out.redact, this.out.json, this.out.verbose, name);
    const context = new CommandContext(runId, this.streams, { ...this.global, app: [...targets.keys()] }, this.config, this.env, this.envFiles, out);
    context.base = this.base;
    context.fixed = { name, targets, tenantSchema };
    context.fleetMetrics = fleetMetrics;
    return context;
  }

  async connect(apps: ResolvedApp[] = this.apps()) {
    if (this.fixed) {
      const { targets } = this.fixed;
      return apps.map((app) => {
        const target = targets.get(app.name);
        if (!target) throw new ConfigError(`app ${app.name} has no connection on target ${this.fixed!.name}`);
        return { app, target: app.schema && !target.schema ? { ...target, schema: app.schema } : target };
      });
    }
    this.connections ??= new Connections(this.config, this.env, (line) => this.out.log(line), {
      embeddedAllowed: Boolean(this.global.embedded) || !productionLike(this.env),
    });
    return this.connections.resolve(apps);
  }

  async engine(settings: RunSettings, command: string, onEvent: EngineOptions['onEvent'], apps = this.apps()): Promise<MigrationEngine> {
    const connections = await this.connect(apps);
    return new MigrationEngine({
      apps: connections.map((c) => engineApp(c, this.fixed?.tenantSchema)),
      settings: settings.engine,
      runId: this.runId,
      command,
      host: settings.host,
      gitSha: settings.gitSha,
      onEvent,
      redact: this.out.redact,
      lint: this.config.lint,
      runLockScope: this.fixed?.tenantSchema,
    });
  }

  async close(): Promise<void> {
    await this.connections?.stop();
  }
}

/** ENV production or staging, or NODE_ENV production: no embedded server unless --embedded asks for it. */
export function productionLike(env: Env): boolean {
  const name = (env.ENV ?? '').trim().toLowerCase();
  return name === 'production' || name === 'staging' || (env.NODE_ENV ?? '').trim().toLowerCase() === 'production';
}
