import { readFileSync, statSync } from 'node:fs';
import type { Env } from './env';

interface PgPassEntry {
  host: string;
  port: string;
  database: string;
  user: string;
  password: string;
}

interface PgPassHelper {
  getFileName(env: Env): string;
  parseLine(line: string): PgPassEntry | null;
  isValidEntry(entry: PgPassEntry): boolean;
  match(connInfo: { host: string; port: number; database: string; user: string }, entry: PgPassEntry): boolean;
}

// the parsing and matching of the `pgpass` package (what pg itself uses), read with this env, not
// process.env; its helper module has them without the stream and the process.env of its entry point
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the package ships no types and no ESM
const helper = (): PgPassHelper => require('pgpass/lib/helper.js') as PgPassHelper;

/**
 * The password for a connection from the password file, as libpq finds it: PGPASSFILE, else
 * ~/.pgpass; ignored unless a plain file only its owner can read. A socket connection matches
 * `localhost` entries, as in libpq.
 */
export function passwordFromPgPass(env: Env, conn: { host: string; port: number; database: string; user: string }): string | undefined {
  const { getFileName, parseLine, isValidEntry, match } = helper();
  const file = getFileName(env);
  let text: string;
  try {
    const stat = statSync(file);
    if (!stat.isFile() || (process.platform !== 'win32' && stat.mode & 0o077)) return undefined;
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const info = { ...conn, host: conn.host.startsWith('/') ? 'localhost' : conn.host };
  for (const line of text.split(/\r?\n/)) {
    const entry = parseLine(line);
    if (entry && isValidEntry(entry) && match(info, entry)) return entry.password;
  }
  return undefined;
}
