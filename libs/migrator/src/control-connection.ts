import { POOLER_FIX, sessionPoolingReason } from '@zdm/db';
import { Client } from 'pg';
import { ConnectionError } from './errors/connection.error';
import { PoolerError } from './errors/pooler.error';

export interface DatabaseTarget {
  url: string;
  host: string;
  port: number;
  database: string;
  user: string;
  /** The schema of the history tables and the run log (undefined: the search_path's first). */
  schema?: string;
}

export function databaseKey(target: DatabaseTarget): string {
  return `${target.host}:${target.port}/${target.database}`;
}

/** Turns a failed connect into a message naming the problem and the fix, with no secret in it. */
export function connectionError(error: unknown, target: DatabaseTarget): ConnectionError {
  const e = error as { code?: string; message?: string };
  const where = `${target.host}:${target.port}`;
  switch (e.code) {
    case '3D000':
      return new ConnectionError(`database "${target.database}" does not exist on ${where}: create it (createdb ${target.database}) or fix the database name in the URL`, { cause: error });
    case '28P01':
    case '28000':
      return new ConnectionError(`PostgreSQL at ${where} refused the login of user "${target.user}": check the user and password in the URL`, { cause: error });
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
      return new ConnectionError(`cannot reach PostgreSQL at ${where} (${e.code}): check the host and port in the URL and that the server is running`, { cause: error });
    default:
      if (/timeout/i.test(e.message ?? '')) {
        return new ConnectionError(`cannot reach PostgreSQL at ${where}: no answer within 10 s; check the host, port and firewall`, { cause: error });
      }
      return new ConnectionError(`cannot connect to PostgreSQL at ${where}: ${e.message ?? String(error)}`, { cause: error });
  }
}

/** Opens a plain connection, mapping failures to a ConnectionError. */
export async function openClient(target: DatabaseTarget, applicationName: string): Promise<Client> {
  const client = new Client({ connectionString: target.url, application_name: applicationName, connectionTimeoutMillis: 10_000 });
  // an idle client whose server goes away must not crash the process
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectionError(error, target);
  }
  return client;
}

/** The pooler check's own short-lived second connection (see assertSessionPinned). */
export function openPoolerCheck(target: DatabaseTarget): Promise<Client> {
  return openClient(target, 'zdm-pooler-check');
}

/**
 * Refuses a transaction- or statement-mode pooler (PgBouncer): there, two statements of one
 * client may run on different server sessions, so session settings and advisory locks silently
 * don't hold, and whatever we left on a server session would go to app traffic. The check opens a
 * second short-lived connection of its own to the same URL, needs no other traffic, and leaves no
 * session state on any server connection (see sessionPoolingReason in @zdm/db).
 */
export async function assertSessionPinned(client: Client, target: DatabaseTarget, second: () => Promise<Client> = () => openPoolerCheck(target)): Promise<void> {
  const reason = await sessionPoolingReason(client, second);
  if (reason) {
    throw new PoolerError(`${databaseKey(target)} is behind a transaction-mode pooler (PgBouncer): ${reason}; ${POOLER_FIX}. Use that URL for migrations`);
  }
}
