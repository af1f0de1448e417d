import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
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
    // a data directory of this test's own, removed after it
    const dataDir = mkdtempSync(join(tmpdir(), 'zdm-embedded-'));
    try {
      const help = await runMigrate(['--help']);
      expect(help.stdout).toMatch(/--embedded/);
      for (const args of [['--embedded', 'status', '--app', 'payments'], ['status', '--embedded', '--app', 'payments']]) {
        const result = await runMigrate(args, { env: { ENV: 'production', EMBEDDED_PG_DIR: dataDir }, timeoutMs: 120_000 });
        expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: expect.stringMatching(/using the embedded PostgreSQL/) });
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
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
    expect(status.stdout).toMatch(/^payments +leaky +0 .* failed .*invalid input syntax/m);
    expect(JSON.parse(json.stdout).progress).toEqual([expect.objectContaining({ app: 'payments', job: 'leaky', status: 'failed' })]);
    const stored = (await db.query<{ last_error: string }>(`select last_error from migration_progress where job = 'leaky'`)).map((r) => r.last_error).join('\n');
    expect(stored).toMatch(/invalid input syntax/);
    for (const text of [run.stdout, run.stderr, status.stdout, status.stderr, json.stdout, json.stderr, stored]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  }, 180_000);
});

describe('a migration file that does not compile or load: exit 2 with file:line: reason, one line', () => {
  let db: TestDatabase;
  let project: ReturnType<typeof scratchProject>;
  beforeAll(async () => {
    db = await createTestDatabase('broken_file');
    project = scratchProject('broken-file');
    project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped' }]);
  });
  afterAll(async () => {
    project?.remove();
    await db?.drop();
  });

  it.each(['up', 'status'])('a syntax error, with RUST_BACKTRACE=1: no code frame, no backtrace (%s)', async (command) => {
    const file = join(project.migrations, '209901010000__broken.ts');
    writeFileSync(file, `import type { MigrationInterface } from 'typeorm';\n\nexport class Broken4070908800000 implements MigrationInterface {\n  async up(): Promise<void> {\n    const x = ;\n  }\n  async down(): Promise<void> {}\n}\n`);
    const result = await runMigrate([command], { env: { DATABASE_URL: db.url, RUST_BACKTRACE: '1' }, cwd: project.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5: Expression expected`));
    expect(result.stderr).not.toMatch(/Stack backtrace|Caused by|\s\|\s|\^/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a missing import names the file and the module', async () => {
    const file = join(project.migrations, '209901010000__broken.ts');
    writeFileSync(file, `import { nothing } from './no-such-module';\n\nexport class Broken4070908800000 {\n  async up(): Promise<void> {\n    nothing();\n  }\n  async down(): Promise<void> {}\n}\n`);
    const result = await runMigrate(['up'], { env: { DATABASE_URL: db.url }, cwd: project.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/209901010000__broken\.ts:\d+: it failed to load: Cannot find module '\.\/no-such-module'/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('redact, then cut: what is cut for a message was redacted first', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('redact_cut');
  });
  afterAll(() => db?.drop());

  it("the run lock holder's query, quoting a URL with a password past the 80th character, is not cut inside the secret; session and transaction ages are told apart", async () => {
    const holder = new Client({ connectionString: db.url, application_name: 'deploy-pod-9' });
    await holder.connect();
    try {
      await holder.query('select pg_advisory_lock($1, $2)', [0x7a646d, 0x72756e]);
      // the holder's last query (now idle, no transaction open) quotes a connection string
      await holder.query(`select 1 as padding_padding_padding_padding_padding, 'postgres://app:S3cr3t-Pa55word-Zq@db.internal:5432/app' as dsn`);
      await new Promise((done) => setTimeout(done, 1100));
      const result = await runMigrate(['up', '--lock-wait', '1s'], { env: { DATABASE_URL: db.url } });
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/held by pid \d+ \(deploy-pod-9\), idle, session open \d+ s, idle with no transaction/);
      expect(result.stderr).not.toMatch(/transaction open/);
      expect(result.stderr).not.toMatch(/S3cr3t/);
    } finally {
      await holder.end();
    }
  });
});

describe('logs off a terminal are JSON lines only', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('json_logs');
  });
  afterAll(() => db?.drop());

  it.each(['disable', 'require'])('with sslmode=%s and LOG_FORMAT unset, stderr holds nothing but JSON lines (no SECURITY WARNING print)', async (mode) => {
    const url = new URL(db.url);
    url.searchParams.set('sslmode', mode);
    const result = await runMigrate(['status', '--json'], { env: { DATABASE_URL: url.toString(), LOG_FORMAT: undefined } });
    // the test server has no SSL: require fails to connect (exit 2), disable works
    expect(result.code).toBe(mode === 'disable' ? 0 : 2);
    expect(result.stderr).not.toMatch(/SECURITY WARNING/);
    for (const line of result.stderr.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("a library's process warning is one redacted JSON line through the CLI's logger, not Node's own print", async () => {
    const preload = join(mkdtempSync(join(tmpdir(), 'zdm-warning-')), 'warn.js');
    writeFileSync(preload, `setImmediate(() => process.emitWarning('a library is unhappy\\nabout postgres://app:S3cr3t-W4rn@db/app', 'DeprecationWarning', 'DEP0999'));\n`);
    try {
      const result = await runMigrate(['status', '--json'], { env: { DATABASE_URL: db.url, LOG_FORMAT: undefined, NODE_OPTIONS: `--require ${preload}` } });
      expect(result.code).toBe(0);
      const lines = result.stderr.split('\n').filter(Boolean);
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
      expect(lines.map((l) => JSON.parse(l))).toContainEqual(expect.objectContaining({ level: 'warn', warning: 'DeprecationWarning', code: 'DEP0999', msg: expect.stringMatching(/^a library is unhappy about postgres:\/\/app:\*\*\*@db\/app$/) }));
      expect(result.stderr).not.toMatch(/S3cr3t/);
    } finally {
      rmSync(dirname(preload), { recursive: true, force: true });
    }
  });
});

describe('backfill --status without --app reads every app, not only the first app\'s database', () => {
  let alpha: TestDatabase;
  let beta: TestDatabase;
  let project: ReturnType<typeof scratchProject>;
  const env = () => ({ ALPHA_DATABASE_URL: alpha.url, BETA_DATABASE_URL: beta.url });
  beforeAll(async () => {
    alpha = await createTestDatabase('status_alpha');
    beta = await createTestDatabase('status_beta');
    project = scratchProject('status-apps');
    project.writeConfig(
      ['alpha', 'beta'].map((name) => ({ name, orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped', backfills: `${name}.backfill.ts` })),
    );
    for (const name of ['alpha', 'beta']) {
      writeFileSync(
        join(project.dir, `${name}.backfill.ts`),
        `import { defineBackfill } from '@zdm/backfill';\nexport const job = defineBackfill({ name: '${name}-job', table: 'chargebacks', set: 'amount_minor = -amount_minor', where: 'amount_minor > 0' });\n`,
      );
    }
    expect((await runMigrate(['up'], { env: env(), cwd: project.dir })).code).toBe(0);
    for (const db of [alpha, beta]) await db.query(`insert into chargebacks (payment_id, amount_minor, currency, status) select gen_random_uuid(), i, 'USD', 'open' from generate_series(1, 5) i`);
    for (const job of ['alpha-job', 'beta-job']) expect((await runMigrate(['backfill', job], { env: env(), cwd: project.dir })).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    project?.remove();
    await alpha?.drop();
    await beta?.drop();
  });

  it('lists each job from its own app\'s database, naming the app (text and --json)', async () => {
    const json = await runMigrate(['backfill', '--status', '--json'], { env: env(), cwd: project.dir });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).progress).toEqual([
      expect.objectContaining({ app: 'alpha', job: 'alpha-job', status: 'done' }),
      expect.objectContaining({ app: 'beta', job: 'beta-job', status: 'done' }),
    ]);
    const text = await runMigrate(['backfill', '--status'], { env: env(), cwd: project.dir });
    expect(text.stdout).toMatch(/^alpha +alpha-job +0 .* done /m);
    expect(text.stdout).toMatch(/^beta +beta-job +0 .* done /m);
  });
});
