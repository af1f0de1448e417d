import { Client } from 'pg';

/** A separate session standing in for the app: it opens a transaction and holds what it took until released. */
export async function holdInTransaction(url: string, sql: string, applicationName = 'app-reader'): Promise<{ pid: number; release(): Promise<void> }> {
  const client = new Client({ connectionString: url, application_name: applicationName });
  client.on('error', () => undefined);
  await client.connect();
  const [{ pid }] = (await client.query('select pg_backend_pid() as pid')).rows;
  await client.query('begin');
  await client.query(sql);
  return {
    pid,
    release: async () => {
      await client.query('rollback').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`gave up waiting after ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/**
 * A session running a long statement inside a transaction (a report, a slow query): it holds a
 * snapshot, which CREATE INDEX CONCURRENTLY waits out. Ends after `seconds`, or on release().
 */
export async function holdActive(url: string, seconds: number, applicationName = 'long-report'): Promise<{ pid: number; done: Promise<void>; release(): Promise<void> }> {
  const client = new Client({ connectionString: url, application_name: applicationName });
  client.on('error', () => undefined);
  await client.connect();
  const [{ pid }] = (await client.query('select pg_backend_pid() as pid')).rows;
  await client.query('begin');
  await client.query('select txid_current()');
  const done = client
    .query('select pg_sleep($1)', [seconds])
    .then(() => client.query('commit'))
    .catch(() => undefined)
    .then(() => client.end().catch(() => undefined));
  return {
    pid,
    done,
    release: async () => {
      const killer = new Client({ connectionString: url });
      await killer.connect();
      await killer.query('select pg_cancel_backend($1)', [pid]);
      await killer.end();
      await done;
    },
  };
}
