import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ROOT, runMigrate } from '../support/cli';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database';
import { startHttpSink } from '../support/http-sink';

const FAILING = join(ROOT, 'test/fixtures/failing-ledger/migrate.config.json');
const SLACK_TOKEN = 'xoxb-111-222-secret-token';
const TELEGRAM_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';

describe('alerts, metrics and reports of a failing run, over real HTTP', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase('alerts');
  });
  afterEach(() => db.drop());

  it('Slack, Telegram, the webhook and the Pushgateway receive what a failing migrate:all sends', async () => {
    const sink = await startHttpSink();
    const dir = mkdtempSync(join(tmpdir(), 'zdm-report-'));
    try {
      const result = await runMigrate(['--config', FAILING, 'up', '--report', join(dir, 'report.json'), '--metrics-file', join(dir, 'zdm.prom')], {
        env: {
          DATABASE_URL: db.url,
          ENV: 'staging',
          SLACK_WEBHOOK_URL: `${sink.url}/slack/T000/B000/${SLACK_TOKEN}`,
          TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
          TELEGRAM_CHAT_ID: '-100200',
          TELEGRAM_API_URL: `${sink.url}/telegram`,
          ALERT_WEBHOOK_URL: `${sink.url}/hook`,
          PUSHGATEWAY_URL: `${sink.url}/push`,
          GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
          GIT_SHA: 'abc123def4567',
        },
      });
      expect(result.code).toBe(1);
      const bodies = (prefix: string) => sink.received.filter((r) => r.path.startsWith(prefix)).map((r) => r.body);
      const slack = bodies('/slack').map((b) => JSON.parse(b).text as string);
      expect(slack.find((t) => t.startsWith('Migration failed [staging]'))).toMatch(
        /202401151100__ledger_entries_fail_on_purpose \(ledger\) up failed\napp ledger, migration 202401151100__ledger_entries_fail_on_purpose\nerror: .*relation "no_such_table" does not exist.*\nafter \d\.\d s, host .+, git abc123def456/,
      );
      expect(slack.find((t) => t.startsWith('Failed run reverted'))).toMatch(/payments\/202401150900__create_chargebacks/);
      expect(bodies('/telegram/bot').map((b) => JSON.parse(b))).toEqual(expect.arrayContaining([expect.objectContaining({ chat_id: '-100200', text: expect.stringMatching(/^Migration failed/) })]));
      expect(bodies('/hook').map((b) => JSON.parse(b))).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'migration_failed', app: 'ledger', env: 'staging', migration: '202401151100__ledger_entries_fail_on_purpose' })]));
      const push = sink.received.find((r) => r.path.startsWith('/push/metrics/job/zdm_migrate'))!;
      // grouped by environment and the run's apps, so one environment's push never replaces another's
      expect(push.path).toMatch(/^\/push\/metrics\/job\/zdm_migrate\/env\/staging\/app\/ledger%2Bpayments$/);
      expect(push.body).toMatch(/migrations_failed_total\{app="ledger",direction="up"\} 1/);
      // the two applied and the two reverted: a down is not a success of up
      expect(push.body).toMatch(/migrations_total\{app="payments",status="succeeded",direction="up"\} 2/);
      expect(push.body).toMatch(/migrations_total\{app="payments",status="succeeded",direction="down"\} 2/);
      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
      expect(report).toMatchObject({ command: 'up', status: 'failed', env: 'staging' });
      expect(report.reverted).toHaveLength(4);
      expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toMatch(/\| ledger \| 202401151100__ledger_entries_fail_on_purpose \| up \| failed: /);
      expect(readFileSync(join(dir, 'zdm.prom'), 'utf8')).toContain('migrations_failed_total{app="ledger",direction="up"} 1');
      // a failed run is no success: the alert "no successful run since the deploy" keeps firing
      expect(readFileSync(join(dir, 'zdm.prom'), 'utf8')).not.toMatch(/^migration_last_success_timestamp_seconds\{/m);
      const everything = sink.received.map((r) => r.path + r.body).join('\n') + result.stdout + result.stderr;
      expect(everything.replaceAll(`/bot${TELEGRAM_TOKEN}/`, '/bot<token>/')).not.toContain(TELEGRAM_TOKEN);
      expect(sink.received.map((r) => r.body).join('\n')).not.toContain(SLACK_TOKEN);
    } finally {
      await sink.close();
    }
  });

  it('a successful up, even with nothing pending, sets migration_last_success_timestamp_seconds per app', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zdm-metrics-'));
    const before = Math.floor(Date.now() / 1000);
    expect((await runMigrate(['up'], { env: { DATABASE_URL: db.url } })).code).toBe(0);
    expect((await runMigrate(['up', '--metrics-file', join(dir, 'zdm.prom')], { env: { DATABASE_URL: db.url } })).code).toBe(0);
    const text = readFileSync(join(dir, 'zdm.prom'), 'utf8');
    for (const app of ['payments', 'ledger']) {
      const seconds = Number(new RegExp(`^migration_last_success_timestamp_seconds\\{app="${app}"\\} (\\S+)$`, 'm').exec(text)?.[1]);
      expect(seconds).toBeGreaterThanOrEqual(before);
    }
  });

  it('a channel that answers 500 or hangs changes neither the exit code nor the error', async () => {
    const sink = await startHttpSink((path) => (path.startsWith('/slack') ? 500 : 'hang'));
    try {
      const result = await runMigrate(['--config', FAILING, 'up'], {
        env: { DATABASE_URL: db.url, SLACK_WEBHOOK_URL: `${sink.url}/slack/x`, ALERT_WEBHOOK_URL: `${sink.url}/hook` },
        timeoutMs: 60_000,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/relation "no_such_table" does not exist/);
      expect(result.stderr).toMatch(/the slack alert was not delivered after 3 attempt\(s\): HTTP 500/);
      expect(result.stderr).toMatch(/the webhook alert was not delivered after 3 attempt\(s\): no answer within 5000 ms/);
    } finally {
      await sink.close();
    }
  }, 90_000);

  it('writes JSON log lines off a terminal, each with the run id, app and migration', async () => {
    const result = await runMigrate(['up', '--app', 'payments'], { env: { DATABASE_URL: db.url, LOG_FORMAT: undefined } });
    expect(result.code).toBe(0);
    const lines = result.stderr.trim().split('\n').map((l) => JSON.parse(l));
    const applied = lines.filter((l) => /^applied /.test(l.msg));
    expect(applied).toHaveLength(2);
    for (const line of applied) expect(line).toMatchObject({ level: 'info', runId: expect.stringMatching(/^[0-9a-f-]{36}$/), app: 'payments', migration: expect.stringMatching(/^20240115/) });
  });
});

describe('no secret in any output', () => {
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const role = `zdm_redact_${randomBytes(3).toString('hex')}`;
  let db: TestDatabase;
  let url: string;

  beforeAll(async () => {
    db = await createTestDatabase('redact');
    await withClient(db.url, (c) => c.query(`create role ${role} login superuser password '${password}'`));
    const u = new URL(db.url);
    u.username = role;
    u.password = password;
    url = u.toString();
  });
  afterAll(async () => {
    await db.drop();
    await withClient(process.env.ZDM_TEST_ADMIN_URL!, (c) => c.query(`drop role if exists ${role}`));
  });

  it.each([
    ['status'],
    ['status', '--json'],
    ['plan'],
    ['plan', '--json'],
    ['lint'],
    ['up', '--verbose'],
    ['up', '--json'],
    ['check'],
    ['backfill', '--status'],
    ['down', '--app', 'ledger', '--verbose'],
    ['revert', '--json'],
    ['up', '--app', 'nope'],
  ])('migrate %s', async (...args) => {
    const result = await runMigrate(args, {
      env: { DATABASE_URL: url, SLACK_WEBHOOK_URL: `http://127.0.0.1:1/services/${SLACK_TOKEN}`, TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN, TELEGRAM_CHAT_ID: '1', LOG_FORMAT: undefined },
    });
    const output = result.stdout + result.stderr;
    expect(output).not.toContain(password);
    expect(output).not.toContain(SLACK_TOKEN);
    expect(output).not.toContain(TELEGRAM_TOKEN);
  });
});
