import { startHttpSink } from '../../../../test/support/http-sink';
import type { AlertEvent } from './alert-event';
import { createAlerter } from './alerter';

const event: AlertEvent = {
  kind: 'migration_failed',
  env: 'production',
  app: 'payments',
  migration: '202401151000__chargebacks_add_utr_reported_at',
  summary: 'up failed',
  error: 'relation "chargebacks" does not exist at postgres://app:pw-s3cret-123@db/payments\n    at Something (file.js:1:2)',
  durationMs: 1234,
  host: 'deploy-7f9',
  gitSha: 'abc123def456',
  ciRunUrl: 'https://github.com/acme/platform/actions/runs/42',
  runId: 'run-1',
};

describe('createAlerter over real HTTP', () => {
  it('sends Slack, Telegram and the webhook the event: app, migration, first line of the error, duration, host, sha, CI link; no secret', async () => {
    const sink = await startHttpSink();
    try {
      const env = {
        SLACK_WEBHOOK_URL: `${sink.url}/slack/T000/B000/xoxb-111-222-secret`,
        TELEGRAM_BOT_TOKEN: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw',
        TELEGRAM_CHAT_ID: '-1001',
        TELEGRAM_API_URL: `${sink.url}/telegram`,
        ALERT_WEBHOOK_URL: `${sink.url}/hook`,
        DATABASE_URL: 'postgres://app:pw-s3cret-123@db/payments',
      };
      const alerter = createAlerter(env);
      expect(alerter.channels).toEqual(['slack', 'telegram', 'webhook']);
      const deliveries = await alerter.send(event);
      expect(deliveries.map((d) => [d.channel, d.ok])).toEqual([
        ['slack', true],
        ['telegram', true],
        ['webhook', true],
      ]);
      const byPath = (prefix: string) => sink.received.find((r) => r.path.startsWith(prefix))!;
      expect(byPath('/telegram/bot123456789:').path).toBe('/telegram/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage');
      const telegram = JSON.parse(byPath('/telegram').body);
      expect(telegram.chat_id).toBe('-1001');
      for (const text of [JSON.parse(byPath('/slack').body).text, telegram.text, JSON.parse(byPath('/hook').body).text]) {
        expect(text).toContain('Migration failed [production]: up failed');
        expect(text).toContain('app payments, migration 202401151000__chargebacks_add_utr_reported_at');
        expect(text).toContain('error: relation "chargebacks" does not exist at postgres://app:***@db/payments');
        expect(text).not.toContain('at Something');
        expect(text).toContain('after 1.2 s, host deploy-7f9, git abc123def456');
        expect(text).toContain('https://github.com/acme/platform/actions/runs/42');
      }
      expect(JSON.parse(byPath('/hook').body)).toMatchObject({ kind: 'migration_failed', app: 'payments', env: 'production' });
      const everything = sink.received.map((r) => r.body).join('\n');
      expect(everything).not.toContain('pw-s3cret-123');
      expect(everything).not.toContain('AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw');
    } finally {
      await sink.close();
    }
  });

  it('retries a channel that answers 500, reports it failed, and never throws', async () => {
    const sink = await startHttpSink((path) => (path.startsWith('/broken') ? 500 : 200));
    const lines: string[] = [];
    try {
      const alerter = createAlerter({ SLACK_WEBHOOK_URL: `${sink.url}/broken`, ALERT_WEBHOOK_URL: `${sink.url}/hook` }, { retries: 3, log: (l) => lines.push(l) });
      const deliveries = await alerter.send(event);
      expect(deliveries).toEqual([expect.objectContaining({ channel: 'slack', ok: false, status: 500, attempts: 3 }), expect.objectContaining({ channel: 'webhook', ok: true })]);
      expect(sink.received.filter((r) => r.path === '/broken')).toHaveLength(3);
      expect(lines).toEqual(['the slack alert was not delivered after 3 attempt(s): HTTP 500']);
    } finally {
      await sink.close();
    }
  });

  it('cuts a channel that hangs at the timeout while the others deliver', async () => {
    const sink = await startHttpSink((path) => (path === '/slow' ? 'hang' : 200));
    try {
      const alerter = createAlerter({ SLACK_WEBHOOK_URL: `${sink.url}/slow`, ALERT_WEBHOOK_URL: `${sink.url}/hook` }, { timeoutMs: 300, retries: 2 });
      const started = Date.now();
      const deliveries = await alerter.send(event);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(deliveries).toEqual([expect.objectContaining({ channel: 'slack', ok: false, error: 'no answer within 300 ms' }), expect.objectContaining({ channel: 'webhook', ok: true })]);
    } finally {
      await sink.close();
    }
  });
});
