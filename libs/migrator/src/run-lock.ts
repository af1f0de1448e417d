import type { Client } from 'pg';
import { LockWaitTimeoutError } from './errors/lock-wait-timeout.error';
import type { Blocker } from './types';
import { describeBlockers, toBlocker } from './watchdog';

import { createHash } from 'node:crypto';

/** The advisory lock key of a migration run: one per database ('zdm', 'run'). */
const KEY: [number, number] = [0x7a646d, 0x72756e];

/**
 * The run lock's key: the database's, or for a schema-per-tenant target one per schema, so tenants
 * in one database migrate in parallel without racing each other.
 */
export function runLockKey(scope?: string): [number, number] {
  if (scope === undefined) return KEY;
  return [KEY[0], createHash('sha256').update(`run:${scope}`).digest().readInt32BE(0)];
}

const HOLDER_SQL = `
  select a.pid, a.application_name, a.state, a.query_start, a.xact_start, a.query,
         (extract(epoch from now() - a.xact_start) * 1000)::bigint as age_ms,
         (extract(epoch from now() - a.backend_start) * 1000)::bigint as session_age_ms
    from pg_locks l join pg_stat_activity a on a.pid = l.pid
   where l.locktype = 'advisory' and l.classid = $1 and l.objid = $2 and l.objsubid = 2 and l.granted
     and l.database = (select oid from pg_database where datname = current_database())
   limit 1`;

export interface LockWait {
  waitedMs: number;
  /** True when the lock was not taken because `unneeded` said there is nothing left to do. */
  unneeded?: boolean;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Takes the run lock on the client's database. Waiters poll `pg_try_advisory_lock` and sleep in
 * between: a waiter blocked in `pg_advisory_lock` would hold a snapshot, and CREATE INDEX
 * CONCURRENTLY in the holder's run waits for every older snapshot: a deadlock.
 *
 * A holder whose connection names this run's release (see MigrationEngine) applies what this run
 * would: the waiter only looks at the lock, often, until the holder is gone, and then asks
 * `unneeded` once. Reading the history meanwhile would load the pending migrations' modules, their
 * ORM and compiler, in every waiting pod, while the one holder needs the CPU to finish.
 */
export async function acquireRunLock(
  client: Client,
  options: {
    database: string;
    waitMs: number;
    onWaiting?: (holder: Blocker | undefined, waitedMs: number) => void;
    aborted?: () => boolean;
    /** Applied to the holder's query before it is cut for the message. */
    redact?: (text: string) => string;
    /** A schema-per-tenant target's schema: the lock is that schema's, not the database's. */
    scope?: string;
    /** This run's release, as its connection's application_name carries it. */
    release?: string;
    /**
     * Asked, without the lock, while another run holds it: true when everything this run would do
     * is done already (the holder runs the same release), so the waiter leaves instead of queueing
     * for a lock only to find nothing to do.
     */
    unneeded?: () => Promise<boolean>;
  },
): Promise<LockWait> {
  const key = runLockKey(options.scope);
  const started = Date.now();
  let lastReport = -Infinity;
  let holderRunsOurRelease = false;
  for (let attempt = 0; ; attempt++) {
    let holder: Blocker | undefined;
    if (holderRunsOurRelease) {
      holder = await lockHolder(client, key);
      holderRunsOurRelease = runsRelease(holder, options.release);
    }
    if (!holderRunsOurRelease) {
      // after a wait, look first: the holder may have finished everything this run would do, and a
      // waiter that took the freed lock would only hold up the next one to find nothing to do
      if (attempt > 0 && (await options.unneeded?.())) return { waitedMs: Date.now() - started, unneeded: true };
      const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1, $2) as locked', key);
      if (rows[0].locked) return { waitedMs: Date.now() - started };
      holder = await lockHolder(client, key);
      holderRunsOurRelease = runsRelease(holder, options.release);
    }
    const waitedMs = Date.now() - started;
    if (waitedMs >= options.waitMs) {
      throw new LockWaitTimeoutError(
        `the run lock on ${options.database} is still held by ${holder ? describeBlockers([holder], options.redact) : 'another run'} after ${Math.round(waitedMs / 1000)} s (--lock-wait): ` +
          `wait for that run to finish, or raise --lock-wait`,
      );
    }
    if (Date.now() - lastReport >= 10_000) {
      options.onWaiting?.(holder, waitedMs);
      lastReport = Date.now();
    }
    if (options.aborted?.()) return { waitedMs };
    // a look at the lock is one cheap query: behind our own release, look often, to leave soon after it
    const pause = holderRunsOurRelease ? 40 + Math.random() * 40 : 150 + Math.random() * 250;
    await sleep(Math.min(pause, Math.max(options.waitMs - waitedMs, 10)));
  }
}

/** Whether the lock's holder says (in its application_name) it runs this release. */
function runsRelease(holder: Blocker | undefined, release: string | undefined): boolean {
  return release !== undefined && holder?.applicationName?.endsWith(` release ${release}`) === true;
}

async function lockHolder(client: Client, key: [number, number]): Promise<Blocker | undefined> {
  const { rows } = await client.query(HOLDER_SQL, key);
  return rows[0] ? toBlocker(rows[0]) : undefined;
}

export async function releaseRunLock(client: Client, scope?: string): Promise<void> {
  await client.query('select pg_advisory_unlock($1, $2)', runLockKey(scope));
}
