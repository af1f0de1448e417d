import { createRedactor, redactDeep, secretsOf } from './redactor';

const env = {
  DATABASE_URL: 'postgres://app:pw-s3cret-123@db:5432/payments',
  LEDGER_DATABASE_URL: 'postgres://ledger:p%40ss%2Fword-9@db:5432/ledger',
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX',
  TELEGRAM_BOT_TOKEN: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw',
  ALERT_WEBHOOK_URL: 'https://alerts.example/hook/abc123def456',
  PUSHGATEWAY_URL: 'https://metrics:gw-pass-777@push.example:9091',
  STRIPE_API_KEY: 'k-9f8e7d6c5b',
  SESSION_SECRET: 'correct horse battery',
  PGPASSWORD: 'pg-pass-4242',
  FEATURE_TOKEN_AUTH: 'true',
  PATH: '/usr/bin',
  HOSTNAME: 'deploy-7f9',
  GIT_AUTHOR_NAME: 'Jane Doe',
  BASIC_AUTH: 'admin:hunter2hunter2',
};
const redact = createRedactor(env);

describe('createRedactor', () => {
  it.each([
    ['a URL password', 'connect postgres://app:pw-s3cret-123@db:5432/payments failed', 'connect postgres://app:***@db:5432/payments failed'],
    ['a DATABASE_URL password wherever it appears', 'password authentication failed ("pw-s3cret-123")', 'password authentication failed ("***")'],
    ['a *_DATABASE_URL password, encoded and decoded', 'p%40ss%2Fword-9 or p@ss/word-9', '*** or ***'],
    ['any URL password, even one not in the env', 'at mysql://root:hunter22@h/db', 'at mysql://root:***@h/db'],
    ['a key=value DSN password', 'host=db password=opensesame user=app', 'host=db password=*** user=app'],
    ['a quoted DSN password', "host=db password='open sesame' user=app", 'host=db password=*** user=app'],
    ['an env dump password', 'PGPASSWORD=whatever psql', 'PGPASSWORD=*** psql'],
    ['a token in a query string', 'GET /api?access_token=abc123&page=2', 'GET /api?access_token=***&page=2'],
    ['a JSON password field', '{"user":"app","password":"x\\"y"}', '{"user":"app","password":"***"}'],
    ['a Slack bot token', 'token xoxb-111-222-secret here', 'token xox*-*** here'],
    ['a Slack user token', 'xoxp-1-2-3-abc', 'xox*-***'],
    ['a Telegram token in a URL', 'POST https://api.telegram.org/bot987654321:ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage', 'POST https://api.telegram.org/bot***/sendMessage'],
    ['a Telegram token alone', 'token 987654321:ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw.', 'token ***.'],
    ['the configured Telegram token', '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw', '***'],
    ['the configured Slack webhook URL', 'sent to https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX', 'sent to ***'],
    ['any Slack webhook path', 'sent to https://hooks.slack.com/services/T9/B9/other', 'sent to https://hooks.slack.com/services/***'],
    ['the configured alert webhook URL', 'POST https://alerts.example/hook/abc123def456 failed', 'POST *** failed'],
    ['Pushgateway credentials', 'push to https://metrics:gw-pass-777@push.example:9091 failed: gw-pass-777', 'push to https://metrics:***@push.example:9091 failed: ***'],
    ['a *_KEY value', 'key k-9f8e7d6c5b leaked', 'key *** leaked'],
    ['a *SECRET* value with spaces', 'secret is correct horse battery!', 'secret is ***!'],
    ['a PGPASSWORD value', 'pg-pass-4242', '***'],
    ['an *_AUTH value', 'as admin:hunter2hunter2', 'as ***'],
    ['a bearer token', 'Authorization: Bearer abcdef123456789', 'Authorization: Bearer ***'],
    ['a bare bearer token', 'sent Bearer abcdef123456789', 'sent Bearer ***'],
    ['another authorization scheme', 'authorization: Token abc', 'authorization: Token ***'],
  ])('removes %s', (_what, input, output) => {
    expect(redact(input)).toBe(output);
  });

  it.each([
    ['migration names, timings, paths', 'migration 202401150900__create_chargebacks applied in 12 ms on /usr/bin'],
    ['a URL without a password', 'postgres://app@db:5432/payments'],
    ['a host name', 'host deploy-7f9'],
    ['a placeholder value of a secret-looking variable', 'dry run: true'],
    ['a path that starts with /bot', 'GET /bottles/12'],
    ['a time of day', '12:30:45'],
    ['the value of a variable that only looks like AUTH', 'committed by Jane Doe'],
  ])('keeps %s', (_what, input) => {
    expect(redact(input)).toBe(input);
  });

  it('does not treat a password equal to its user name as a secret, but still masks it in a URL', () => {
    const local = createRedactor({ DATABASE_URL: 'postgres://postgres:postgres@h/db' });
    expect(local('user "postgres"')).toBe('user "postgres"');
    expect(local('postgres://postgres:postgres@h/db')).toBe('postgres://postgres:***@h/db');
  });

  it('masks extra secrets and their JSON-escaped spelling', () => {
    const extra = createRedactor({}, ['s3cr"et\\x']);
    expect(extra(JSON.stringify({ value: 'is s3cr"et\\x' }))).toBe('{"value":"is ***"}');
    expect(extra('is s3cr"et\\x')).toBe('is ***');
  });

  it('lists the secrets an env holds, longest first', () => {
    const secrets = secretsOf({ DATABASE_URL: 'postgres://u:abcd1234@h/db', API_KEY: 'abcdefghijkl', PUSHGATEWAY_URL: 'https://tok-12345@push.example', APP_URL: 'https://user:pw-99999@x', ENV: 'production' });
    expect(secrets).toEqual(['abcdefghijkl', 'tok-12345', 'abcd1234', 'pw-99999']);
  });
});

describe('redactDeep', () => {
  it('redacts every string inside objects and arrays, and the value of secret keys', () => {
    expect(redactDeep({ a: ['pw-s3cret-123'], b: { c: 'x pw-s3cret-123', password: 'anything', apiKey: 'zzz' }, n: 1, nothing: null }, redact)).toEqual({
      a: ['***'],
      b: { c: 'x ***', password: '***', apiKey: '***' },
      n: 1,
      nothing: null,
    });
  });

  it('keeps errors readable and survives cycles', () => {
    const value: Record<string, unknown> = { error: new Error('failed at postgres://u:pw-s3cret-123@h/db') };
    value.self = value;
    expect(redactDeep(value, redact)).toEqual({ error: { name: 'Error', message: 'failed at postgres://u:***@h/db' }, self: '[Circular]' });
  });

  it('leaves the input as it was', () => {
    const input = { url: 'postgres://u:pw-s3cret-123@h/db' };
    redactDeep(input, redact);
    expect(input.url).toBe('postgres://u:pw-s3cret-123@h/db');
  });
});
