import { randomBytes } from 'node:crypto';
import { parseDatabaseUrl, startEmbeddedPostgres, type ConnectionTarget, type EmbeddedServer } from '@zdm/db';
import type { Client } from 'pg';
import { openClient } from './control-connection';
import { ConfigError } from './errors/config.error';

/** Every scratch database is named so: we create, and ever drop, no other. */
export const SCRATCH_PREFIX = 'zdm_scratch_';
const SCRATCH_NAME = /^zdm_scratch_\d{14}_[0-9a-f]{8}$/;
/** A scratch database older than this that nobody is connected to was left by a killed process. */
const STALE_AFTER_MS = 60 * 60 * 1000;

export interface ScratchServerOptions {
  /** A server to create scratch databases on (`--scratch-url`); without it, the embedded server. */
  url?: string;
  /** The embedded server's data directory, when no url is given. */
  dataDir: string;
  log?: (line: string) => void;
}

/** One database of our own, created empty, dropped when done. */
export interface ScratchDatabase {
  name: string;
  target: ConnectionTarget;
  drop(): Promise<void>;
}

const stamp = (at: Date) => at.toISOString().replace(/\D/g, '').slice(0, 14);
const stampTime = (name: string) => {
  const d = name.slice(SCRATCH_PREFIX.length, SCRATCH_PREFIX.length + 14);
  return Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8), +d.slice(8, 10), +d.slice(10, 12), +d.slice(12, 14));
};

/**
 * Where `verify` and the trace build a database at the target's schema: the embedded server (its
 * one pinned major), or a server the user names with `--scratch-url`, on which we create and drop
 * databases `zdm_scratch_<time>_<id>` of our own and touch nothing else. A scratch database may be
 * embedded anywhere the package is installed: the "never embedded in production" rule is about
 * targets.
 */
export class ScratchServer {
  private readonly created = new Set<string>();

  private constructor(
    private readonly admin: Client,
    private readonly base: ConnectionTarget,
    /** The server's major: the output says when it differs from the target's. */
    readonly major: number,
    readonly source: 'embedded' | 'scratch-url',
    private readonly embedded?: EmbeddedServer,
  ) {}

  static async open(options: ScratchServerOptions): Promise<ScratchServer> {
    let embedded: EmbeddedServer | undefined;
    let base: ConnectionTarget;
    if (options.url) {
      base = parseDatabaseUrl(options.url, '--scratch-url');
    } else {
      embedded = await startEmbeddedPostgres({ dataDir: options.dataDir, log: options.log });
      base = embedded.target;
    }
    const admin = await openClient(base, 'zdm-scratch').catch(async (error: unknown) => {
      if (embedded?.owned) await embedded.stop().catch(() => undefined);
      throw error;
    });
    const { rows } = await admin.query<{ num: string; creates: boolean }>(
      `select current_setting('server_version_num') as num, (select rolcreatedb or rolsuper from pg_roles where rolname = current_user) as creates`,
    );
    if (!rows[0].creates) {
      await admin.end().catch(() => undefined);
      if (embedded?.owned) await embedded.stop().catch(() => undefined);
      throw new ConfigError(
        `--scratch-url: the role "${base.user}" on ${base.host}:${base.port} cannot create databases, and a scratch database is created for each check: grant it CREATEDB (ALTER ROLE ${base.user} CREATEDB), or leave --scratch-url out to use the embedded server`,
      );
    }
    const server = new ScratchServer(admin, base, Math.floor(Number(rows[0].num) / 10_000), options.url ? 'scratch-url' : 'embedded', embedded);
    await server.dropStale();
    return server;
  }

  /** A new, empty database. */
  async create(): Promise<ScratchDatabase> {
    const name = `${SCRATCH_PREFIX}${stamp(new Date())}_${randomBytes(4).toString('hex')}`;
    await this.admin.query(`create database "${name}"`);
    this.created.add(name);
    const url = new URL(this.base.url);
    url.pathname = `/${name}`;
    const target = { ...parseDatabaseUrl(url.toString(), this.base.source), source: this.base.source };
    return { name, target, drop: () => this.drop(name) };
  }

  /** Drops what this server created that is still there, and stops the embedded server if we started it. */
  async close(): Promise<void> {
    for (const name of [...this.created]) await this.drop(name).catch(() => undefined);
    await this.admin.end().catch(() => undefined);
    if (this.embedded?.owned) await this.embedded.stop();
  }

  /** A sentence for the output when the scratch server's major is not the target's, else undefined. */
  differsFrom(targetMajor: number): string | undefined {
    if (targetMajor === this.major) return undefined;
    return `the scratch server is PostgreSQL ${this.major}, the target is ${targetMajor}: what a statement locks and rewrites can differ between majors; pass --scratch-url with a PostgreSQL ${targetMajor} server to observe the same major`;
  }

  private async drop(name: string): Promise<void> {
    if (!SCRATCH_NAME.test(name)) throw new Error(`refusing to drop "${name}": not a scratch database of ours`);
    await this.admin.query(`drop database if exists "${name}" with (force)`);
    this.created.delete(name);
  }

  /** Scratch databases a killed process left behind: older than an hour, with nobody connected. */
  private async dropStale(): Promise<void> {
    const { rows } = await this.admin.query<{ name: string }>(
      `select datname as name from pg_database d
        where datname like 'zdm\\_scratch\\_%' and not exists (select 1 from pg_stat_activity a where a.datname = d.datname)`,
    );
    for (const { name } of rows) {
      if (SCRATCH_NAME.test(name) && Date.now() - stampTime(name) > STALE_AFTER_MS) await this.drop(name).catch(() => undefined);
    }
  }
}
