import { createTestDatabase, type TestDatabase } from '../support/database';

// The README's version facts, checked on the server the tests run on: each capability works from
// its major on and is refused before it. `make test-matrix` runs this on every supported major.

interface Capability {
  name: string;
  since: number;
  setup?: string[];
  probe: string;
}

const capabilities: Capability[] = [
  { name: 'client_connection_check_interval', since: 14, probe: `select current_setting('client_connection_check_interval')` },
  {
    name: 'DETACH PARTITION CONCURRENTLY',
    since: 14,
    setup: ['create table events (id int) partition by range (id)', 'create table events_0 partition of events for values from (0) to (10)'],
    probe: 'alter table events detach partition events_0 concurrently',
  },
  { name: 'UNIQUE NULLS NOT DISTINCT', since: 15, probe: 'create table codes (code text, unique nulls not distinct (code))' },
  {
    name: 'MERGE',
    since: 15,
    setup: ['create table balances (id int primary key, amount int)'],
    probe: 'merge into balances b using (select 1 as id, 5 as amount) s on b.id = s.id when matched then update set amount = b.amount + s.amount when not matched then insert values (s.id, s.amount)',
  },
  {
    name: 'NOT NULL constraint NOT VALID',
    since: 18,
    setup: ['create table refunds (id int, reason text)'],
    probe: 'alter table refunds add constraint refunds_reason_not_null not null reason not valid',
  },
];

describe('what this PostgreSQL major can do', () => {
  let db: TestDatabase;
  let major: number;
  beforeAll(async () => {
    db = await createTestDatabase('capabilities');
    const [{ num }] = await db.query<{ num: string }>(`select current_setting('server_version_num') as num`);
    major = Math.floor(Number(num) / 10_000);
  });
  afterAll(() => db.drop());

  it.each(capabilities)('$name: from PostgreSQL $since', async ({ setup = [], probe, since }) => {
    for (const sql of setup) await db.query(sql);
    const outcome = await db.query(probe).then(
      () => 'works',
      (error: { code?: string }) => `refused (${error.code})`,
    );
    expect({ major, outcome }).toEqual({ major, outcome: major >= since ? 'works' : expect.stringMatching(/^refused \((42601|42704)\)$/) });
  });
});
