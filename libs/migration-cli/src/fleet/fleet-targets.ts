import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { envValue, parseDatabaseUrl, resolveDatabaseUrl, type ConnectionTarget } from '@zdm/db';
import { ConfigError, openClient } from '@zdm/migrator';
import type { TargetsConfig } from '../config/define-config';
import type { ResolvedApp } from '../config/load-config';
import type { CommandContext } from '../context';

/** One target of a fleet: a tenant, and where each of its apps migrates. */
export interface FleetTarget {
  name: string;
  /** App name → its connection on this target. */
  connections: Map<string, ConnectionTarget>;
  /** A schema-per-tenant target's schema: its tables, its history and its run lock are that schema's. */
  tenantSchema?: string;
}

export interface TargetSelection {
  /** `--target <name>`, repeatable. */
  target?: string[];
  /** `--targets-from <file>`: names, one a line (# comments and blank lines skipped). */
  targetsFrom?: string;
  /** `--shard I/N`. */
  shard?: string;
}

/** A target's name from its connection: the schema for schema-per-tenant, else the database. */
const nameOf = (target: ConnectionTarget) => target.schema ?? target.database;

function requiredVariable(ctx: CommandContext, name: string, what: string): string {
  const value = envValue(ctx.env, name);
  if (value === undefined) throw new ConfigError(`${what}: ${name} is not set: set it to ${what === 'targets.urls' ? 'the targets\' URLs, one a line or comma-separated' : 'a database URL'}`);
  return value;
}

async function query(ctx: CommandContext, target: ConnectionTarget, sql: string, what: string): Promise<Record<string, unknown>[]> {
  const client = await openClient(target, 'zdm-migrate targets');
  try {
    return (await client.query(sql)).rows;
  } catch (error) {
    throw new ConfigError(`${what}: the query failed on ${target.display}: ${ctx.out.redact((error as Error).message)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The targets one app names in its config. */
async function targetsOfApp(ctx: CommandContext, app: ResolvedApp, spec: TargetsConfig): Promise<{ name: string; target: ConnectionTarget; schema?: string }[]> {
  const key = `apps "${app.name}" targets`;
  if ('urls' in spec) {
    const raw = requiredVariable(ctx, spec.urls, 'targets.urls');
    return raw
      .split(/[\n,]/)
      .map((u) => u.trim())
      .filter(Boolean)
      .map((u, i) => parseDatabaseUrl(u, `${spec.urls} (URL ${i + 1})`, ctx.env))
      .map((target) => ({ name: nameOf(target), target }));
  }
  if ('query' in spec) {
    const control = parseDatabaseUrl(requiredVariable(ctx, spec.url, 'targets.url'), spec.url, ctx.env);
    const rows = await query(ctx, control, spec.query, `${key}.query`);
    return rows.map((row, i) => {
      if (typeof row.url !== 'string') throw new ConfigError(`${key}.query: row ${i + 1} has no text column "url": select name, url from ...`);
      const target = parseDatabaseUrl(row.url, `${key}.query (row ${i + 1})`, ctx.env);
      return { name: typeof row.name === 'string' && row.name ? row.name : nameOf(target), target };
    });
  }
  const base = spec.url ? parseDatabaseUrl(requiredVariable(ctx, spec.url, 'targets.url'), spec.url, ctx.env) : resolveDatabaseUrl(app.name, ctx.env, app.urlEnv);
  if (!base) throw new ConfigError(`${key}.schemas: no database URL for app ${app.name}: set DATABASE_URL (or ${app.urlEnv ?? 'targets.url'})`);
  const rows = await query(ctx, base, spec.schemas, `${key}.schemas`);
  return rows
    .map((row) => Object.values(row)[0])
    .filter((schema): schema is string => typeof schema === 'string' && schema !== '')
    .map((schema) => ({ name: schema, target: { ...base, schema }, schema }));
}

/** A stable shard of a name: the same name lands in the same shard on every machine and every run. */
export function shardOf(name: string, shards: number): number {
  return createHash('sha256').update(name).digest().readUInt32BE(0) % shards;
}

function parseShard(value: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count) throw new ConfigError(`--shard ${value}: use I/N with 0 <= I < N, e.g. --shard 0/4 (in a Kubernetes Indexed Job: --shard $(JOB_COMPLETION_INDEX)/4)`);
  return { index, count };
}

/**
 * The fleet of the selected apps, or undefined when none of them names `targets`. Apps without
 * targets can't be mixed in: a run is one target. Targets of several fleet apps that share a name
 * are one target (the apps of one tenant).
 */
export async function resolveFleet(ctx: CommandContext, apps: ResolvedApp[], selection: TargetSelection = {}): Promise<FleetTarget[] | undefined> {
  // a target's own context runs for that target only
  if (ctx.target !== undefined) return undefined;
  const fleetApps = apps.filter((a) => a.targets);
  if (!fleetApps.length) {
    if (selection.target?.length || selection.targetsFrom || selection.shard) throw new ConfigError('--target, --targets-from and --shard need an app with "targets" in the config');
    return undefined;
  }
  const single = apps.filter((a) => !a.targets);
  if (single.length) {
    throw new ConfigError(`apps ${single.map((a) => a.name).join(', ')} have one database and ${fleetApps.map((a) => a.name).join(', ')} a fleet: run them apart with --app`);
  }
  const byName = new Map<string, FleetTarget>();
  for (const app of fleetApps) {
    for (const { name, target, schema } of await targetsOfApp(ctx, app, app.targets!)) {
      const entry: FleetTarget = byName.get(name) ?? { name, connections: new Map(), tenantSchema: schema };
      if (entry.connections.has(app.name)) throw new ConfigError(`app ${app.name}: two targets are named "${name}": give each tenant its own name (targets.query can select one)`);
      entry.connections.set(app.name, target);
      byName.set(name, entry);
    }
  }
  let targets = [...byName.values()];
  const wanted = [...(selection.target ?? [])];
  if (selection.targetsFrom) {
    let text: string;
    try {
      text = readFileSync(selection.targetsFrom, 'utf8');
    } catch (error) {
      throw new ConfigError(`--targets-from ${selection.targetsFrom}: ${(error as Error).message}`);
    }
    wanted.push(...text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean));
  }
  if (wanted.length) {
    const unknown = wanted.filter((n) => !byName.has(n));
    if (unknown.length) throw new ConfigError(`--target ${unknown.join(', ')}: no such target among the ${byName.size} the config lists`);
    targets = targets.filter((t) => wanted.includes(t.name));
  }
  if (selection.shard) {
    const { index, count } = parseShard(selection.shard);
    targets = targets.filter((t) => shardOf(t.name, count) === index);
  }
  return targets;
}
