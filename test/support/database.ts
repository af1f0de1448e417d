import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  name: string;
  url: string;
  /** Runs one query on a short-lived connection to this database. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

const PREFIX = 'zdm_test_';

function adminUrl(): string {
  const url = process.env.ZDM_TEST_ADMIN_URL;
  if (!url) throw new Error('ZDM_TEST_ADMIN_URL is not set: run the tests through jest (its globalSetup starts the server)');
  return url;
}

export function urlFor(database: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, empty database of this test's own. The harness only creates and drops databases
 * whose names it made (prefix `zdm_test_`), never another on a user's server.
 */
export async function createTestDatabase(label = 'db'): Promise<TestDatabase> {
  const name = `${PREFIX}${label.replace(/[^a-z0-9]+/gi, '_').toLowerCase().slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  await withClient(adminUrl(), (c) => c.query(`create database "${name}"`));
  const url = urlFor(name);
  return {
    name,
    url,
    query: (sql, params) => withClient(url, async (c) => (await c.query(sql, params)).rows),
    drop: async () => {
      if (!name.startsWith(PREFIX)) return;
      await withClient(adminUrl(), (c) => c.query(`drop database if exists "${name}" with (force)`));
    },
  };
}
