import type { Client } from 'pg';
import type { DatabaseTarget } from './control-connection';
import { openClient } from './control-connection';
import type { Queryable, SessionResult } from './types';

/**
 * A connection of its own for looking at a running migration (its blockers, its wait, an index
 * build's progress) and for cancelling it: never the migration's session, never the run lock's.
 * Opened on first use, so a run whose statements are quick never opens it; its queries run one
 * at a time, since a pg client must not be given a query while it runs another.
 */
export class MonitorConnection implements Queryable {
  private client?: Promise<Client>;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly target: DatabaseTarget,
    private readonly applicationName: string,
  ) {}

  /** Opens the connection ahead of need, so the watchdog's first look is not late by a connect. */
  warm(): void {
    if (this.closed || this.client) return;
    this.client = openClient(this.target, this.applicationName);
    this.client.catch(() => (this.client = undefined));
  }

  query(sql: string, params?: unknown[]): Promise<SessionResult> {
    if (this.closed) return Promise.reject(new Error('the monitor connection is closed'));
    const run = this.queue.then(async () => {
      this.client ??= openClient(this.target, this.applicationName);
      const result = await (await this.client).query(sql, params);
      return { rows: result.rows, rowCount: result.rowCount };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Ends the connection once a query in flight has its answer (for at most `graceMs`): pg ends a
   * client under a running query by dropping the socket, and the server's backend stays on until it
   * notices, a connection that outlives its run (a fleet's --parallel bound counts it).
   */
  async close(graceMs = 2_000): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.queue, new Promise((done) => (timer = setTimeout(done, graceMs)))]);
    clearTimeout(timer);
    const client = await this.client?.catch(() => undefined);
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
