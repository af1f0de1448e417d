import { createTestDatabase, type TestDatabase } from '../../../test/support/database';
import { parseDatabaseUrl } from '@zdm/db';
import { MonitorConnection } from './monitor-connection';

describe('MonitorConnection against a real server', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase('monitor');
  });
  afterEach(() => db.drop());

  const listed = async (name: string) => (await db.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where application_name = $1`, [name]))[0].n;

  it('closed with a query in flight, its server backend outlived the close (pg dropped the socket under the query)', async () => {
    const monitor = new MonitorConnection(parseDatabaseUrl(db.url, 'DATABASE_URL', {}), 'zdm-monitor-close');
    await monitor.query('select 1');
    const inFlight = monitor.query('select pg_sleep(0.3)').catch((error: unknown) => error);
    // the query is on the server when close is asked
    await new Promise((done) => setTimeout(done, 50));
    await monitor.close();
    expect(await listed('zdm-monitor-close')).toBe(0);
    expect(await inFlight).toEqual({ rows: [{ pg_sleep: '' }], rowCount: 1 });
  });

  it('a query that outlasts the grace is cut: close never waits long', async () => {
    const monitor = new MonitorConnection(parseDatabaseUrl(db.url, 'DATABASE_URL', {}), 'zdm-monitor-grace');
    void monitor.query('select pg_sleep(5)').catch(() => undefined);
    await new Promise((done) => setTimeout(done, 50));
    const started = Date.now();
    await monitor.close(200);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
