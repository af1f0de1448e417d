import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { BackupTarget } from '@zdm/migration-lint';
import type { Client } from 'pg';
import { ConfigError } from './errors/config.error';

// loaded by the first backup or restore, not with the engine that imports this module
const copyStreams = () => require('pg-copy-streams') as typeof import('pg-copy-streams');

/** One table's (or columns') copy in a backup. */
export interface BackedUpTable {
  /** `schema.table`, as the catalog names it. */
  table: string;
  /** The columns copied: the key first, then the ones at risk; every column for a whole table. */
  columns: string[];
  /** The primary key's columns, when only some columns were copied. */
  key?: string[];
  /** The file, relative to the backup's folder: CSV with a header, gzip. */
  file: string;
  rows: number;
  rule: string;
}

/** What `migrate restore` reads: `manifest.json` in the backup's folder. */
export interface BackupManifest {
  version: 1;
  app: string;
  migration: string;
  runId: string;
  createdAt: string;
  durationMs: number;
  tables: BackedUpTable[];
}

export interface MigrationBackup extends BackupManifest {
  /** The backup's folder. */
  path: string;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const qualified = (table: string) => table.split('.').map(quote).join('.');

/**
 * Copies out, through the driver (COPY ... TO STDOUT, CSV, gzip), what a migration is about to
 * drop, truncate or rewrite: the whole table, or the columns at risk with the table's primary key.
 * Tables that don't exist yet (created by the same run) have nothing to lose and are skipped.
 */
export async function backUp(client: Client, dir: string, meta: { app: string; migration: string; runId: string }, targets: BackupTarget[]): Promise<MigrationBackup> {
  const started = performance.now();
  const createdAt = new Date();
  const folder = join(dir, `${createdAt.toISOString().replace(/\D/g, '').slice(0, 14)}_${meta.app}_${meta.migration}`);
  await mkdir(folder, { recursive: true });
  const tables: BackedUpTable[] = [];
  for (const target of targets) {
    const { rows } = await client.query<{ name: string | null; columns: string[] | null; key: string[] | null }>(
      `select (select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = to_regclass($1)) as name,
              (select array_agg(attname::text order by attnum) from pg_attribute where attrelid = to_regclass($1) and attnum > 0 and not attisdropped) as columns,
              (select array_agg(a.attname::text order by k.ord) from pg_index i cross join unnest(i.indkey) with ordinality k(attnum, ord)
                 join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum where i.indrelid = to_regclass($1) and i.indisprimary) as key`,
      [target.table],
    );
    const { name, columns, key } = rows[0];
    if (!name || !columns) continue;
    const atRisk = target.columns?.filter((c) => columns.includes(c));
    const partial = Boolean(atRisk?.length && key?.length);
    const copied = partial ? [...key!, ...atRisk!.filter((c) => !key!.includes(c))] : columns;
    const file = `${name}.csv.gz`;
    const stream = client.query(copyStreams().to(`COPY (SELECT ${copied.map(quote).join(', ')} FROM ${qualified(name)}) TO STDOUT WITH (FORMAT csv, HEADER true)`));
    await pipeline(stream, createGzip(), createWriteStream(join(folder, file)));
    tables.push({ table: name, columns: copied, ...(partial ? { key: key! } : {}), file, rows: stream.rowCount ?? 0, rule: target.rule });
  }
  const manifest: BackupManifest = { version: 1, ...meta, createdAt: createdAt.toISOString(), durationMs: Math.round(performance.now() - started), tables };
  await writeFile(join(folder, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return { ...manifest, path: folder };
}

export async function readBackupManifest(folder: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = await readFile(join(folder, 'manifest.json'), 'utf8');
  } catch {
    throw new ConfigError(`${folder}: no manifest.json there: pass the folder of one backup (what up printed as "backed up ... to <folder>")`);
  }
  return JSON.parse(text) as BackupManifest;
}

/**
 * Puts a backup's data back, in one transaction: a whole table's rows are inserted (rows whose key
 * is there already are left as they are), copied columns are written back by the key. The tables
 * and columns must exist again (run the down migration first): a backup holds data, not schema.
 */
export async function restoreBackup(client: Client, folder: string, manifest: BackupManifest): Promise<{ table: string; rows: number }[]> {
  const restored: { table: string; rows: number }[] = [];
  await client.query('begin');
  try {
    for (const t of manifest.tables) {
      const { rows } = await client.query<{ columns: string[] | null }>(
        `select array_agg(attname::text) as columns from pg_attribute where attrelid = to_regclass($1) and attnum > 0 and not attisdropped`,
        [t.table],
      );
      const missing = rows[0].columns ? t.columns.filter((c) => !rows[0].columns!.includes(c)) : t.columns;
      if (!rows[0].columns || missing.length) {
        throw new ConfigError(
          `restore ${folder}: ${rows[0].columns ? `${t.table} has no column ${missing.join(', ')}` : `there is no table ${t.table}`}: a backup holds data, not schema; revert the migration first (migrate down --app ${manifest.app}), then restore`,
        );
      }
      const temp = `zdm_restore_${restored.length}`;
      await client.query(`create temp table ${temp} on commit drop as select ${t.columns.map(quote).join(', ')} from ${qualified(t.table)} with no data`);
      await pipeline(createReadStream(join(folder, t.file)), createGunzip(), client.query(copyStreams().from(`COPY ${temp} FROM STDIN WITH (FORMAT csv, HEADER true)`)));
      const list = t.columns.map(quote).join(', ');
      const result = t.key
        ? await client.query(
            `update ${qualified(t.table)} as t set ${t.columns.filter((c) => !t.key!.includes(c)).map((c) => `${quote(c)} = b.${quote(c)}`).join(', ')} from ${temp} b where ${t.key.map((k) => `t.${quote(k)} = b.${quote(k)}`).join(' and ')}`,
          )
        : await client.query(`insert into ${qualified(t.table)} (${list}) overriding system value select ${list} from ${temp} on conflict do nothing`);
      restored.push({ table: t.table, rows: result.rowCount ?? 0 });
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
  return restored;
}
