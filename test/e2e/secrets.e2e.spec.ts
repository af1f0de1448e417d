import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMigrate } from '../support/cli';
import { createTestDatabase, urlFor, withClient, type TestDatabase } from '../support/database';
import { scratchProject } from '../support/scratch-project';

const PASSWORD = 'pw-S3cr3t-Pq7';
const TELEGRAM = '987654321:ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const ROLE = `zdm_test_secrets_${process.pid}`;
const SLACK = 'https://hooks.slack.com/services/T0SEC/B0SEC/XXXXsecretXXXX';

function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = password;
  return u.toString();
}

describe('empty secrets: a variable set but empty is refused by name, the embedded server is never a production fallback', () => {
  it('DATABASE_URL= with ENV=production exits 2 naming DATABASE_URL, and migrates nothing', async () => {
    const result = await runMigrate(['up'], { env: { DATABASE_URL: '', ENV: 'production' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/DATABASE_URL is set but empty/);
    expect(result.stderr).not.toMatch(/embedded PostgreSQL in/);
  });

  it.each(['PAYMENTS_DATABASE_URL', 'MIGRATION_LOCK_TIMEOUT', 'MIGRATION_LOCK_RETRIES', 'MIGRATION_TIMEOUT', 'MIGRATION_LOCK_WAIT', 'MIGRATION_STATEMENT_WARN', 'ENV', 'DRY_RUN', 'SLACK_WEBHOOK_URL', 'TELEGRAM_BOT_TOKEN'])(
    '%s= is refused by name (exit 2)',
    async (name) => {
      const result = await runMigrate(['status'], { env: { DATABASE_URL: 'postgres://u@127.0.0.1:1/x', [name]: '' } });
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 2, stderr: expect.stringContaining(`${name} is set but empty`) });
    },
  );

  it.each([{ ENV: 'production' }, { ENV: 'staging' }, { NODE_ENV: 'production' }])('no DATABASE_URL with %j: exit 2 naming DATABASE_URL and --embedded', async (env) => {
    const result = await runMigrate(['status'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/DATABASE_URL.*PAYMENTS_DATABASE_URL.*--embedded/);
    expect(result.stderr).not.toMatch(/using the embedded PostgreSQL/);
  });

  it('--embedded (before or after the command) lets production use the embedded server; it is in the help', async () => {
    const help = await runMigrate(['--help']);
    expect(help.stdout).toMatch(/--embedded/);
    for (const args of [['--embedded', 'status', '--app', 'payments'], ['status', '--embedded', '--app', 'payments']]) {
      const result = await runMigrate(args, { env: { ENV: 'production' }, timeoutMs: 120_000 });
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: expect.stringMatching(/using the embedded PostgreSQL/) });
    }
  }, 180_000);
});

describe('every byte through the one redactor: a failing backfill that quotes secrets', () => {
  let db: TestDatabase;
  let project: ReturnType<typeof scratchProject>;
  let url: string;
  const env = () => ({ DATABASE_URL: url, TELEGRAM_BOT_TOKEN: TELEGRAM, TELEGRAM_CHAT_ID: '42', TELEGRAM_API_URL: 'http://127.0.0.1:1', SLACK_WEBHOOK_URL: 'http://127.0.0.1:1/services/T0SEC/B0SEC/XXXXsecretXXXX' });
  beforeAll(async () => {
    db = await createTestDatabase('secrets');
    // a role of this test's own whose password is not its name (a password equal to the user name is not masked)
    await db.query(`create role ${ROLE} login password '${PASSWORD}'`);
    await db.query(`alter database ${db.name} owner to ${ROLE}`);
    await db.query(`alter schema public owner to ${ROLE}`);
    const u = new URL(withPassword(db.url, PASSWORD));
    u.username = ROLE;
    url = u.toString();
    project = scratchProject('secrets');
    project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped', backfills: 'leaky.backfill.ts' }]);
    const quoted = `${decodeURIComponent(new URL(url).password)} ${TELEGRAM} ${SLACK}`.replace(/'/g, "''");
    writeFileSync(
      join(project.dir, 'leaky.backfill.ts'),
      `import { defineBackfill } from '@zdm/backfill';\nexport const leaky = defineBackfill({ name: 'leaky', table: 'chargebacks', set: "amount_minor = '${quoted}'::int", where: 'amount_minor > 0' });\n`,
    );
    expect((await runMigrate(['up'], { env: env(), cwd: project.dir })).code).toBe(0);
    await db.query(`insert into chargebacks (payment_id, amount_minor, currency, status) select gen_random_uuid(), i, 'USD', 'open' from generate_series(1, 10) i`);
  });
  afterAll(async () => {
    project?.remove();
    await db?.drop();
    await withClient(urlFor('postgres'), (c) => c.query(`drop role if exists ${ROLE}`));
  });

  it('no password, bot token or webhook path on stderr, stdout, --status, --status --json, nor in migration_progress.last_error', async () => {
    const secrets = [decodeURIComponent(new URL(url).password), TELEGRAM, 'T0SEC/B0SEC/XXXXsecretXXXX'];
    const run = await runMigrate(['backfill', 'leaky'], { env: env(), cwd: project.dir, timeoutMs: 120_000 });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/invalid input syntax for type integer/);
    const status = await runMigrate(['backfill', '--status'], { env: env(), cwd: project.dir });
    const json = await runMigrate(['backfill', '--status', '--json'], { env: env(), cwd: project.dir });
    expect(status.stdout).toMatch(/payments: leaky range 0 .*failed.*last error: invalid input syntax/);
    expect(JSON.parse(json.stdout).progress).toEqual([expect.objectContaining({ app: 'payments', job: 'leaky', status: 'failed' })]);
    const stored = (await db.query<{ last_error: string }>(`select last_error from migration_progress where job = 'leaky'`)).map((r) => r.last_error).join('\n');
    expect(stored).toMatch(/invalid input syntax/);
    for (const text of [run.stdout, run.stderr, status.stdout, status.stderr, json.stdout, json.stderr, stored]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  }, 180_000);
});
