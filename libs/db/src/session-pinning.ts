import type { Client } from 'pg';

/**
 * Is this connection pinned to one server session, or does a pooler (PgBouncer in transaction or
 * statement mode) hand its transactions to whichever server connection is free? The check needs
 * no other traffic and leaves no session state anywhere: it runs only `pg_backend_pid()`,
 * `BEGIN` and `COMMIT`, on `first` and on a second connection of our own to the same URL.
 *
 * - Two clients never share a backend directly: `second` seeing `first`'s pid means a pool.
 * - Two overlapping transactions, released in both orders, so that a LIFO pool and a FIFO
 *   (server_round_robin) pool alike give `first` a different backend afterwards: any change of
 *   `first`'s pid means a pool.
 * - A pool with no free server connection makes a statement wait: a wait also means a pool.
 * - `BEGIN` refused (statement mode) means a pool.
 *
 * Resolves to undefined when pinned, else to the reason (one sentence, no secret in it).
 */
export async function sessionPoolingReason(first: Client, openSecond: () => Promise<Client>, options: { stepTimeoutMs?: number } = {}): Promise<string | undefined> {
  const timeoutMs = options.stepTimeoutMs ?? 5_000;
  const step = async <T>(what: string, work: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PoolingSign(`${what} waited more than ${timeoutMs} ms for a server connection`)), timeoutMs);
    });
    try {
      return await Promise.race([work, late]);
    } catch (error) {
      if (error instanceof PoolingSign) throw error;
      // a pooler in statement mode refuses transaction blocks
      if (/BEGIN|transaction blocks|statement pooling/i.test((error as Error).message ?? '')) throw new PoolingSign(`${what} was refused: ${(error as Error).message}`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };
  const pid = async (client: Client, what: string) => Number((await step(what, client.query<{ pid: number }>('select pg_backend_pid() as pid'))).rows[0].pid);
  const run = (client: Client, sql: string, what: string) => step(what, client.query(sql));

  // a pooler takes a client connection at once and makes its first statement wait; a connect that
  // is slow is the network's (a remote server, TLS), judged by the connect timeout, not a sign
  const second = await openSecond();
  let firstInTransaction = false;
  try {
    const a = await pid(first, 'the first statement');
    const b = await pid(second, "a second connection's first statement");
    if (a === b) return `two connections ran on the same server backend (pid ${a})`;
    for (const order of ['second first', 'first first'] as const) {
      await run(first, 'begin', 'BEGIN');
      firstInTransaction = true;
      const a1 = await pid(first, 'a statement in a transaction');
      await run(second, 'begin', "a second connection's BEGIN while the first is in a transaction");
      const b1 = await pid(second, "a second connection's statement in a transaction");
      if (a1 !== a) return `the connection moved from server backend ${a} to ${a1} between transactions`;
      if (b1 === a1) return `two open transactions ran on the same server backend (pid ${a1})`;
      if (order === 'second first') {
        await run(second, 'commit', 'COMMIT');
        await run(first, 'commit', 'COMMIT');
      } else {
        await run(first, 'commit', 'COMMIT');
        await run(second, 'commit', 'COMMIT');
      }
      firstInTransaction = false;
      const a2 = await pid(first, 'a statement after the transaction');
      const b2 = await pid(second, "a second connection's statement after its transaction");
      if (a2 !== a) return `the connection moved from server backend ${a} to ${a2} between transactions`;
      if (b2 !== b) return `a second connection moved from server backend ${b} to ${b2} between transactions`;
    }
    return undefined;
  } catch (error) {
    if (error instanceof PoolingSign) return error.message;
    throw error;
  } finally {
    if (firstInTransaction) await Promise.race([first.query('rollback').catch(() => undefined), new Promise((done) => setTimeout(done, timeoutMs))]);
    await second.end().catch(() => undefined);
  }
}

class PoolingSign extends Error {}

/** The sentence that names the fix, for every refusal of a pooled connection. */
export const POOLER_FIX =
  'session settings and advisory locks do not hold there. Point the URL at the server directly, or at a session-mode pool (PgBouncer pool_mode = session)';
