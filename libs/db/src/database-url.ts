import { parse } from 'pg-connection-string';
import { DatabaseConfigError } from './errors/database-config.error';
import { envValue, type Env } from './env';
import { passwordFromPgPass } from './pgpass';
import { redactUrl } from './redact';

export interface ConnectionTarget {
  /** The URL to hand to pg and the ORMs (it holds the password: never print it). */
  url: string;
  host: string;
  port: number;
  database: string;
  user: string;
  /** The schema of the app's history table, from `?schema=` or the app config. */
  schema?: string;
  /** Where the URL came from: the env variable's name, or `embedded`. */
  source: string;
  /** The URL with its password replaced, safe for logs. */
  display: string;
}

const EXAMPLE = 'postgres://user:pass@host:5432/db';

/** Parses and validates one connection URL; `source` names the variable in errors. */
export function parseDatabaseUrl(raw: string, source: string, env: Env = {}): ConnectionTarget {
  const trimmed = raw.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new DatabaseConfigError(`${source} is not a valid URL: expected ${EXAMPLE}`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new DatabaseConfigError(`${source} is not a PostgreSQL URL (scheme "${url.protocol.replace(/:$/, '')}"): expected ${EXAMPLE}`);
  }
  // a URL with no query and no SSL setting in the env has nothing to read or add here (and the
  // first URLSearchParams loads a module of Node's own, a few ms of every command's start)
  const query = url.search !== '' || Boolean(env.PGSSLMODE) || env.DB_SSL === '1' || env.DB_SSL === 'true' ? url.searchParams : undefined;
  const schema = query?.get('schema') ?? undefined;
  query?.delete('schema');
  // PGSSLMODE is libpq's default for a URL that names no sslmode
  if (query && !query.has('sslmode') && env.PGSSLMODE) query.set('sslmode', env.PGSSLMODE);
  if (env.DB_SSL === '1' || env.DB_SSL === 'true') {
    if (!query!.has('sslmode')) query!.set('sslmode', 'require');
  }
  const shown = url.toString();
  // sslmode as libpq reads it (require: encrypt, do not verify the certificate), not pg's
  // stricter reading that prints a SECURITY WARNING into the log stream
  if (query?.has('sslmode') && !query.has('uselibpqcompat')) query.set('uselibpqcompat', 'true');
  const clean = url.toString();
  const parsed = parse(clean);
  const database = parsed.database ?? env.PGDATABASE ?? parsed.user ?? env.PGUSER;
  if (!database) throw new DatabaseConfigError(`${source} names no database: expected ${EXAMPLE}`);
  const host = parsed.host || env.PGHOST || 'localhost';
  const port = Number(parsed.port || env.PGPORT || 5432);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new DatabaseConfigError(`${source} has an invalid port "${parsed.port}": expected ${EXAMPLE}`);
  }
  const user = parsed.user || env.PGUSER || 'postgres';
  // a URL without a password takes libpq's: PGPASSWORD, else the password file (.pgpass)
  let withPassword = clean;
  if (!parsed.password) {
    const password = env.PGPASSWORD ?? passwordFromPgPass(env, { host, port, database, user });
    if (password) {
      const u = new URL(clean);
      if (!u.username) u.username = encodeURIComponent(user);
      u.password = encodeURIComponent(password);
      withPassword = u.toString();
    }
  }
  return {
    url: withPassword,
    host,
    port,
    database,
    user,
    schema,
    source,
    display: redactUrl(shown),
  };
}

/**
 * The libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE; PGPASSWORD, PGSSLMODE and the password
 * file apply to every URL, in parseDatabaseUrl) as a URL with the same meaning: a socket directory
 * (PGHOST=/var/run/postgresql) is the host, percent-encoded, as libpq's own URIs write it; the
 * database defaults to the user's name.
 */
function urlFromPgVariables(env: Env): string | undefined {
  if (!env.PGHOST && !env.PGDATABASE) return undefined;
  const host = env.PGHOST ?? 'localhost';
  const user = env.PGUSER ? `${encodeURIComponent(env.PGUSER)}@` : '';
  const port = env.PGPORT ? `:${env.PGPORT}` : '';
  return `postgres://${user}${host.startsWith('/') ? encodeURIComponent(host) : host}${port}/${encodeURIComponent(env.PGDATABASE ?? env.PGUSER ?? 'postgres')}`;
}

/** `PAYMENTS` for `payments`, `MY_APP` for `my-app`. */
export function appEnvPrefix(app: string): string {
  return app.replace(/[^a-z0-9]+/gi, '_').toUpperCase();
}

/**
 * The connection for an app: its own variable (`<APP>_DATABASE_URL` or the configured one),
 * else `DATABASE_URL`, else the standard PG* variables; `undefined` means "use the embedded server".
 */
export function resolveDatabaseUrl(app: string, env: Env, urlEnv?: string): ConnectionTarget | undefined {
  for (const name of [urlEnv, `${appEnvPrefix(app)}_DATABASE_URL`, 'DATABASE_URL']) {
    const value = name ? envValue(env, name) : undefined;
    if (name && value !== undefined) return parseDatabaseUrl(value, name, env);
  }
  const fromPg = urlFromPgVariables(env);
  return fromPg ? parseDatabaseUrl(fromPg, 'PG* variables', env) : undefined;
}
