import { deadUrl, startHttpStub, type HttpStub } from '../../test/http-stub';
import type { AlertEvent } from './alert-event';
import { createAlerter } from './alerter';

const PASSWORD = 'pw-s3cret-123';
const SLACK_TOKEN = 'xoxb-111-222-secret';
const TELEGRAM_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const MIGRATION = '202401151000__chargebacks_add_utr_reported_at';

const event: AlertEvent = {
  kind: 'migration_failed',
  env: 'production',
  app: 'payments',
  migration: MIGRATION,
  summary: `${MIGRATION} (payments) up failed`,
  // the secrets in the first line (which goes out) and in the stack (which must not)
  error: [
    `relation "chargebacks" does not exist at postgres://app:${PASSWORD}@db.internal:5432/payments (alerts to /slack/T000/B000/${SLACK_TOKEN})`,
    `    at Migration.up (/srv/app/migrations/${MIGRATION}.js:12:7)`,
    `    at connect (postgres://app:${PASSWORD}@db.internal/payments)`,
  ].join('\n'),
  durationMs: 1234,
  host: 'deploy-7f9',
  gitSha: 'abc123def456',
  ciRunUrl: 'https://github.com/acme/platform/actions/runs/42',
  runId: 'run-1',
};

function channelsEnv(stub: HttpStub, paths: { slack?: string; hook?: string } = {}) {
  return {
    SLACK_WEBHOOK_URL: `${stub.url}${paths.slack ?? `/slack/T000/B000/${SLACK_TOKEN}`}`,
    TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
    TELEGRAM_CHAT_ID: '-1001',
    TELEGRAM_API_URL: `${stub.url}/telegram`,
    ALERT_WEBHOOK_URL: `${stub.url}${paths.hook ?? '/hook'}`,
    DATABASE_URL: `postgres://app:${PASSWORD}@db.internal:5432/payments`,
  };
}

describe('createAlerter over real HTTP', () => {
  let stub: HttpStub | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
  });

  it('sends Slack, Telegram and the webhook the migration, the first line of the error, duration, host, sha and CI link, and no secret in any byte', async () => {
    stub = await startHttpStub();
    const alerter = createAlerter(channelsEnv(stub));
    expect(alerter.channels).toEqual(['slack', 'telegram', 'webhook']);

    const deliveries = await alerter.send(event);

    expect(deliveries.map(({ channel, ok, status, attempts }) => ({ channel, ok, status, attempts }))).toEqual([
      { channel: 'slack', ok: true, status: 200, attempts: 1 },
      { channel: 'telegram', ok: true, status: 200, attempts: 1 },
      { channel: 'webhook', ok: true, status: 200, attempts: 1 },
    ]);
    const to = (prefix: string) => stub!.requests.find((r) => r.path.startsWith(prefix))!;
    expect(to('/slack').path).toBe(`/slack/T000/B000/${SLACK_TOKEN}`);
    expect(to('/telegram').path).toBe(`/telegram/bot${TELEGRAM_TOKEN}/sendMessage`);
    for (const request of stub.requests) expect(request).toMatchObject({ method: 'POST', headers: { 'content-type': 'application/json' } });

    const slack = JSON.parse(to('/slack').body);
    const telegram = JSON.parse(to('/telegram').body);
    const hook = JSON.parse(to('/hook').body);
    expect(telegram.chat_id).toBe('-1001');
    expect(telegram.parse_mode).toBeUndefined();
    expect(slack.blocks[0]).toMatchObject({ type: 'section', text: { type: 'mrkdwn', text: expect.stringMatching(/^\*Migration failed \[production\]: .+\*\n/) } });
    expect(slack.blocks[0].text.text).toContain('<https://github.com/acme/platform/actions/runs/42|CI run>');
    expect(hook).toMatchObject({ kind: 'migration_failed', env: 'production', app: 'payments', migration: MIGRATION, durationMs: 1234, host: 'deploy-7f9', runId: 'run-1' });
    expect(hook.error).toBe('relation "chargebacks" does not exist at postgres://app:***@db.internal:5432/payments (alerts to ***)');

    for (const text of [slack.text, telegram.text, hook.text]) {
      expect(text).toBe(
        [
          `Migration failed [production]: ${MIGRATION} (payments) up failed`,
          `app payments, migration ${MIGRATION}`,
          'error: relation "chargebacks" does not exist at postgres://app:***@db.internal:5432/payments (alerts to ***)',
          'after 1.2 s, host deploy-7f9, git abc123def456, run run-1',
          'https://github.com/acme/platform/actions/runs/42',
        ].join('\n'),
      );
    }
    // every byte received (request lines, headers, bodies), less each channel's own address
    const received = stub.rawBytes().split(`/slack/T000/B000/${SLACK_TOKEN}`).join('<slack address>').split(`/bot${TELEGRAM_TOKEN}/`).join('<telegram address>');
    for (const secret of [PASSWORD, SLACK_TOKEN, TELEGRAM_TOKEN, 'Migration.up']) expect(received).not.toContain(secret);
    expect(received).toContain(MIGRATION);
  });

  it('redacts an error before it cuts it to the first line limit: a password across the cut does not leak a part', async () => {
    stub = await startHttpStub();
    const alerter = createAlerter(channelsEnv(stub));
    // the password starts a few characters before the 500-character cut of the first line
    await alerter.send({ ...event, error: `${'x'.repeat(470)} at postgres://app:${PASSWORD}@db.internal:5432/payments` });
    const bodies = stub.requests.map((r) => r.body).join('\n');
    expect(stub.requests.length).toBeGreaterThan(0);
    expect(bodies).not.toContain(PASSWORD.slice(0, 6));
  });

  it('masks the channels’ own URLs and tokens even when the caller’s redactor knows nothing of them', async () => {
    stub = await startHttpStub();
    const env = channelsEnv(stub);
    const alerter = createAlerter(env, { redactor: (text) => text });
    await alerter.send({ ...event, error: `posting to ${env.SLACK_WEBHOOK_URL} with bot ${TELEGRAM_TOKEN} failed` });
    const bodies = stub.requests.map((r) => r.body).join('\n');
    expect(bodies).toContain('error: posting to *** with bot *** failed');
    expect(bodies).not.toContain(SLACK_TOKEN);
    expect(bodies).not.toContain(TELEGRAM_TOKEN);
  });

  it('retries a channel that answers 500, reports it failed in one line that names the channel and not its URL, and never throws', async () => {
    stub = await startHttpStub((request) => (request.path.startsWith('/broken') ? 500 : 200));
    const lines: string[] = [];
    const alerter = createAlerter(channelsEnv(stub, { slack: `/broken/${SLACK_TOKEN}` }), { retries: 3, log: (line) => lines.push(line) });

    const deliveries = await alerter.send(event);

    expect(deliveries).toEqual([
      expect.objectContaining({ channel: 'slack', ok: false, status: 500, error: 'HTTP 500', attempts: 3 }),
      expect.objectContaining({ channel: 'telegram', ok: true }),
      expect.objectContaining({ channel: 'webhook', ok: true }),
    ]);
    expect(stub.requests.filter((r) => r.path.startsWith('/broken'))).toHaveLength(3);
    expect(lines).toEqual(['the slack alert was not delivered after 3 attempt(s): HTTP 500']);
  });

  it('cuts a channel that hangs at the timeout, on every attempt, while the others deliver', async () => {
    stub = await startHttpStub((request) => (request.path === '/slow' ? 'hang' : 200));
    const lines: string[] = [];
    const alerter = createAlerter(channelsEnv(stub, { hook: '/slow' }), { timeoutMs: 200, retries: 2, log: (line) => lines.push(line) });
    const started = Date.now();

    const deliveries = await alerter.send(event);

    expect(Date.now() - started).toBeLessThan(2000);
    expect(deliveries).toEqual([
      expect.objectContaining({ channel: 'slack', ok: true }),
      expect.objectContaining({ channel: 'telegram', ok: true }),
      expect.objectContaining({ channel: 'webhook', ok: false, error: 'no answer within 200 ms', attempts: 2 }),
    ]);
    expect(stub.requests.filter((r) => r.path === '/slow')).toHaveLength(2);
    expect(lines).toEqual(['the webhook alert was not delivered after 2 attempt(s): no answer within 200 ms']);
  });

  it('waits as a 429 asks and then delivers', async () => {
    stub = await startHttpStub((request, nth) => (request.path === '/hook' && nth === 1 ? { status: 429, headers: { 'retry-after': '0' } } : 200));
    const [delivery] = await createAlerter({ ALERT_WEBHOOK_URL: `${stub.url}/hook` }).send(event);
    expect(delivery).toMatchObject({ channel: 'webhook', ok: true, status: 200, attempts: 2 });
  });

  it('does not retry an answer that will not change (400)', async () => {
    stub = await startHttpStub(() => 400);
    const [delivery] = await createAlerter({ ALERT_WEBHOOK_URL: `${stub.url}/hook` }).send(event);
    expect(delivery).toMatchObject({ ok: false, status: 400, attempts: 1 });
    expect(stub.requests).toHaveLength(1);
  });

  it('retries a refused connection and says why it failed, without the URL', async () => {
    const url = `${await deadUrl()}/services/${SLACK_TOKEN}`;
    const lines: string[] = [];
    const [delivery] = await createAlerter({ SLACK_WEBHOOK_URL: url }, { retries: 2, log: (line) => lines.push(line) }).send(event);
    expect(delivery).toMatchObject({ channel: 'slack', ok: false, attempts: 2, error: expect.stringMatching(/ECONNREFUSED/) });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^the slack alert was not delivered after 2 attempt\(s\): fetch failed: .*ECONNREFUSED/);
    expect(lines[0]).not.toContain(SLACK_TOKEN);
  });

  it('reports a channel URL that is not a URL, a throwing fetch and a throwing log sink as failed deliveries, never as an exception', async () => {
    const alerter = createAlerter(
      { ALERT_WEBHOOK_URL: 'not a url at all', SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/zzz' },
      {
        fetchImpl: () => {
          throw new Error('boom');
        },
        retries: 1,
        log: () => {
          throw new Error('log sink down');
        },
      },
    );
    await expect(alerter.send(event)).resolves.toEqual([
      expect.objectContaining({ channel: 'slack', ok: false, error: 'boom', attempts: 1 }),
      expect.objectContaining({ channel: 'webhook', ok: false, error: 'its URL is not a valid URL', attempts: 0 }),
    ]);
  });

  it('has no channel and sends nothing when none is configured', async () => {
    const alerter = createAlerter({ TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN });
    expect(alerter.channels).toEqual([]);
    await expect(alerter.send(event)).resolves.toEqual([]);
  });
});
