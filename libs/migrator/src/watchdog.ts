import type { Blocker, IndexBuildProgress, Queryable } from './types';

const BLOCKERS_SQL = `
  select a.pid, a.application_name, a.state, a.query_start, a.xact_start, a.query,
         (extract(epoch from now() - a.xact_start) * 1000)::bigint as age_ms
    from pg_stat_activity a
   where a.pid = any(pg_blocking_pids($1))
      or a.pid = (select current_locker_pid from pg_stat_progress_create_index where pid = $1)
   order by a.xact_start nulls last`;

/** The sessions `pid` waits for: lock holders, and for CREATE INDEX CONCURRENTLY the transaction it waits out. */
export async function blockersOf(client: Queryable, pid: number): Promise<Blocker[]> {
  const { rows } = await client.query(BLOCKERS_SQL, [pid]);
  return rows.map(toBlocker);
}

/**
 * A pg_stat_activity row (pid, application_name, state, query_start, query, age_ms: the
 * transaction's age, null when none is open; session_age_ms: the connection's age) as a Blocker.
 */
export function toBlocker(row: Record<string, unknown>): Blocker {
  const query = (row.query as string | null) ?? null;
  return {
    pid: Number(row.pid),
    applicationName: (row.application_name as string) || null,
    state: (row.state as string | null) ?? null,
    transactionAgeMs: row.age_ms === null || row.age_ms === undefined ? null : Number(row.age_ms),
    transactionStart: (row.xact_start as Date | null | undefined)?.toISOString() ?? null,
    queryStart: (row.query_start as Date | null)?.toISOString() ?? null,
    // whole (pg_stat_activity holds at most track_activity_query_size, 1 kB by default): a cut
    // inside a secret leaves a part the redactor cannot recognise, so only describeBlockers cuts, after redacting
    query,
    ...(row.session_age_ms !== undefined && { sessionAgeMs: row.session_age_ms === null ? null : Number(row.session_age_ms) }),
  };
}

export async function waitEventOf(client: Queryable, pid: number): Promise<string | null> {
  const { rows } = await client.query(`select wait_event_type || ':' || wait_event as wait from pg_stat_activity where pid = $1`, [pid]);
  return (rows[0]?.wait as string | null | undefined) ?? null;
}

/** Phase and percent of an index build, from pg_stat_progress_create_index. */
export async function indexBuildProgress(client: Queryable, pid: number): Promise<IndexBuildProgress | undefined> {
  const { rows } = await client.query(
    `select phase, case when blocks_total > 0 then round(100.0 * blocks_done / blocks_total, 1)
                        when tuples_total > 0 then round(100.0 * tuples_done / tuples_total, 1) end as percent
       from pg_stat_progress_create_index where pid = $1`,
    [pid],
  );
  return rows[0] ? { phase: String(rows[0].phase), percent: rows[0].percent === null ? null : Number(rows[0].percent) } : undefined;
}

/**
 * The blockers for people: pid, application, state, how long the session and its transaction have
 * been open, and the query. Redact, then cut: with a redactor the query is redacted and then cut
 * to 80 characters; without one it is not cut (the caller's redactor must see all of it).
 */
export function describeBlockers(blockers: Blocker[], redact?: (text: string) => string): string {
  if (!blockers.length) return 'no blocking session was seen';
  const seconds = (ms: number) => Math.round(ms / 1000);
  const query = (text: string) => {
    const flat = text.replace(/\s+/g, ' ');
    if (!redact) return flat;
    const clean = redact(flat);
    return clean.length > 80 ? `${clean.slice(0, 79)}…` : clean;
  };
  return blockers
    .map((b) => {
      const sessionAgeMs = b.sessionAgeMs;
      const session = typeof sessionAgeMs === 'number' ? `, session open ${seconds(sessionAgeMs)} s` : '';
      const transaction =
        b.transactionAgeMs !== null ? `, transaction open ${seconds(b.transactionAgeMs)} s` : sessionAgeMs !== undefined ? ', idle with no transaction' : '';
      return (
        `pid ${b.pid}${b.applicationName ? ` (${b.applicationName})` : ''}, ${b.state ?? 'unknown state'}${session}${transaction}` +
        `${b.query ? `, query "${query(b.query)}"` : ''}`
      );
    })
    .join('; ');
}

/** Whether any of the blockers is still in the transaction it was seen in (holding what it held). */
export async function stillBlocking(client: Queryable, blockers: Blocker[]): Promise<boolean> {
  const seen = blockers.filter((b) => b.transactionStart);
  if (!seen.length) return false;
  const { rows } = await client.query(
    `select count(*)::int as n from pg_stat_activity a join unnest($1::int[], $2::timestamptz[]) as seen(pid, xact_start)
         on a.pid = seen.pid and date_trunc('milliseconds', a.xact_start) = seen.xact_start`,
    [seen.map((b) => b.pid), seen.map((b) => b.transactionStart)],
  );
  return Number(rows[0].n) > 0;
}
