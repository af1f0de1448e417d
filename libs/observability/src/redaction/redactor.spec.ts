import { createRedactor, redactDeep } from './redactor';

describe('createRedactor', () => {
  const env = {
    DATABASE_URL: 'postgres://app:pw-s3cret-123@db:5432/payments',
    SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX',
    TELEGRAM_BOT_TOKEN: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw',
    ALERT_WEBHOOK_URL: 'https://alerts.example/hook/abc123def456',
    API_KEY: 'k-9f8e7d6c5b',
    PATH: '/usr/bin',
  };
  const redact = createRedactor(env);

  it.each([
    ['a URL password', 'connect postgres://app:pw-s3cret-123@db:5432/payments failed', 'connect postgres://app:***@db:5432/payments failed'],
    ['any URL password, even one not in the env', 'at mysql://root:hunter22@h/db', 'at mysql://root:***@h/db'],
    ['a key=value DSN password', 'host=db password=opensesame user=app', 'host=db password=*** user=app'],
    ['a Slack token', 'token xoxb-111-222-secret here', 'token xox*-*** here'],
    ['a Telegram token in a URL', 'POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage', 'POST https://api.telegram.org/bot***/sendMessage'],
    ['a Slack webhook URL', 'sent to https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX', 'sent to ***'],
    ['a secret variable value', 'key k-9f8e7d6c5b leaked', 'key *** leaked'],
    ['a bearer token', 'Authorization: Bearer abcdef123456789', 'Authorization: Bearer ***'],
  ])('removes %s', (_what, input, output) => {
    expect(redact(input)).toBe(output);
  });

  it('keeps what is not secret', () => {
    expect(redact('migration 202401150900__create_chargebacks applied in 12 ms on /usr/bin')).toBe('migration 202401150900__create_chargebacks applied in 12 ms on /usr/bin');
  });

  it('does not treat a password equal to its user name as a secret', () => {
    expect(createRedactor({ DATABASE_URL: 'postgres://postgres:postgres@h/db' })('user "postgres"')).toBe('user "postgres"');
  });

  it('redacts every string inside objects', () => {
    expect(redactDeep({ a: ['pw-s3cret-123'], b: { c: 'x pw-s3cret-123' }, n: 1 }, redact)).toEqual({ a: ['***'], b: { c: 'x ***' }, n: 1 });
  });
});
