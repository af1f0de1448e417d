import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, ROOT, runMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { scratchProject } from '../support/scratch-project';

const BIN = join(ROOT, 'libs/migration-cli/bin/zdm-migrate.js');
const packageVersion = (JSON.parse(readFileSync(join(ROOT, 'libs/migration-cli/package.json'), 'utf8')) as { version: string }).version;

describe('the command line explains itself', () => {
  it('--version was an unknown option', async () => {
    const result = await runMigrate(['--version']);
    expect({ code: result.code, stdout: result.stdout.trim() }).toEqual({ code: 0, stdout: packageVersion });
  });

  it('help named the binary migrate when it was invoked as zdm-migrate', () => {
    const result = spawnSync(process.execPath, [BIN, 'status', '--help'], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: zdm-migrate status/);
  });

  it('help named pnpm migrate as migrate, and pnpm migrate by its own name', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'libs/migration-cli/dist/main.js'), '--help'], { cwd: ROOT, env: cleanEnv({ npm_lifecycle_event: 'migrate' }), encoding: 'utf8' });
    expect(result.stdout).toMatch(/^Usage: pnpm migrate \[options\] \[command\]/);
  });

  it("a command's help did not list --config, --app, --json and --verbose, which it accepts", async () => {
    for (const command of ['status', 'up', 'lint']) {
      const result = await runMigrate([command, '--help']);
      expect(result.stdout).toMatch(/Global Options:[\s\S]*--config <path>[\s\S]*--app <name>[\s\S]*--json[\s\S]*--verbose/);
    }
  });

  it('help said (default: [])', async () => {
    const result = await runMigrate(['--help']);
    expect(result.stdout).not.toContain('(default: [])');
    expect(result.stdout).toContain('--app <name>');
  });
});

describe('tables for people', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('tables');
  });
  afterAll(() => db.drop());

  const ESC = String.fromCharCode(27);
  const ANSI = new RegExp(`${ESC}\\[`);
  // the columns of a row, as the header placed them: each starts where its header starts
  const starts = (line: string) => [...line.matchAll(/(?<=^|\s{2})\S/g)].map((m) => m.index);

  it('status had no header row, unaligned columns and machine times', async () => {
    const env = { DATABASE_URL: db.url, TZ: 'UTC' };
    expect((await runMigrate(['up', '--app', 'payments', '--to', '202401150900__create_chargebacks'], { env })).code).toBe(0);
    const result = await runMigrate(['status', '--app', 'payments'], { env });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^payments \(typeorm\) /);
    expect(lines[1]).toMatch(/^ {2}STATE {4}MIGRATION +APPLIED +TOOK {2}NOTE$/);
    const applied = lines.filter((l) => l.includes(' applied '));
    const pending = lines.filter((l) => l.includes(' pending '));
    expect(applied.length).toBeGreaterThan(0);
    expect(pending.length).toBeGreaterThan(0);
    expect(applied[0]).toMatch(/ \d{4}-\d\d-\d\d \d\d:\d\d \((just now|\d+ min ago)\) +\d/);
    expect(result.stdout).not.toMatch(/\d{4}-\d\d-\d\dT/);
    const header = lines[1];
    for (const line of applied) {
      expect(line.indexOf(line.match(/\d{4}-\d\d/)![0])).toBe(header.indexOf('APPLIED'));
      expect(line.match(/\d+(\.\d+)? m?s/)!.index! + line.match(/\d+(\.\d+)? m?s/)![0].length).toBe(header.indexOf('TOOK') + 4);
    }
    for (const line of pending) expect(starts(line).slice(0, 2)).toEqual(starts(header).slice(0, 2));
    expect(result.stdout).not.toMatch(ANSI);
    const json = JSON.parse((await runMigrate(['status', '--app', 'payments', '--json'], { env })).stdout);
    expect(json.apps[0].migrations[0].appliedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('status ignored FORCE_COLOR: no colour for its states even when asked', async () => {
    const env = { DATABASE_URL: db.url };
    const forced = await runMigrate(['status', '--app', 'payments'], { env: { ...env, FORCE_COLOR: '1' } });
    expect(forced.stdout).toMatch(ANSI);
    expect(forced.stdout.replace(new RegExp(`${ESC}\\[\\d+m`, 'g'), '')).toMatch(/^ {2}STATE {4}MIGRATION/m);
    const both = await runMigrate(['status', '--app', 'payments'], { env: { ...env, FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(both.stdout).toMatch(ANSI); // FORCE_COLOR is the stronger ask, as in Node itself
    const off = await runMigrate(['status', '--app', 'payments'], { env: { ...env, FORCE_COLOR: '0' } });
    expect(off.stdout).not.toMatch(ANSI);
  });

  it('--verbose statement timings did not line up', async () => {
    const result = await runMigrate(['up', '--app', 'payments', '--verbose'], { env: { DATABASE_URL: db.url } });
    expect(result.code).toBe(0);
    const timings = result.stderr.split('\n').filter((l) => /^ +(\d+(\.\d+)? m?s|skipped) +/.test(l));
    expect(timings.length).toBeGreaterThan(1);
    // the duration and row columns have fixed widths: every statement's SQL starts in the same column
    for (const line of timings) expect(line).toMatch(/^ {2}[ \d.a-z]{10} {2}[ \da-z]{12} {2}\S/);
  });

  it('a usage error off a terminal was a JSON log line, not a plain one', async () => {
    for (const args of [['up', '--frobnicate'], ['generate'], ['--app']]) {
      const result = await runMigrate(args, { env: { LOG_FORMAT: undefined } });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^error: /);
      expect(result.stderr).not.toMatch(/^\{/m);
    }
  });
});

describe('run summaries', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('summary');
  });
  afterAll(() => db.drop());

  it("down --json's summary said it reverted nothing", async () => {
    const env = { DATABASE_URL: db.url };
    expect((await runMigrate(['up', '--app', 'payments'], { env })).code).toBe(0);
    const result = await runMigrate(['down', '--app', 'payments', '--step', '2', '--json'], { env });
    expect(result.code).toBe(0);
    const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const summary = events.at(-1);
    expect(summary).toMatchObject({ type: 'summary', command: 'down', status: 'ok', counts: { applied: 0, reverted: 2 } });
    expect(summary.reverted.map((m: { migration: string }) => m.migration)).toEqual(['202401151000__chargebacks_add_utr_reported_at', '202401150900__create_chargebacks']);
    expect(events.find((e) => e.type === 'run.finished')).toMatchObject({ applied: 0, reverted: 2 });
  });
});

describe('init beside an existing config', () => {
  let dir: string;
  beforeEach(() => {
    mkdirSync(join(ROOT, 'test/.tmp'), { recursive: true });
    dir = mkdtempSync(join(ROOT, 'test/.tmp', 'init-'));
    mkdirSync(join(dir, 'migrations'));
    writeFileSync(join(dir, 'data-source.ts'), 'export default {};\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('init wrote migrate.config.json beside a migrate.config.ts, which then went on winning unseen', async () => {
    writeFileSync(join(dir, 'migrate.config.ts'), 'export default { apps: [] };\n');
    const refused = await runMigrate(['init'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/migrate\.config\.ts already exists: .*pass --force/);
    expect(existsSync(join(dir, 'migrate.config.json'))).toBe(false);
    const forced = await runMigrate(['init', '--force'], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(existsSync(join(dir, 'migrate.config.json'))).toBe(true);
    expect(forced.stderr).toMatch(/has migrate\.config\.ts, migrate\.config\.json: migrate\.config\.ts is read and migrate\.config\.json is ignored/);
  });

  it('init keeps an existing migrate.config.json unless --force', async () => {
    writeFileSync(join(dir, 'migrate.config.json'), '{"apps": []}\n');
    expect((await runMigrate(['init'], { cwd: dir })).code).toBe(2);
    expect(readFileSync(join(dir, 'migrate.config.json'), 'utf8')).toBe('{"apps": []}\n');
    expect((await runMigrate(['init', '--force'], { cwd: dir })).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'migrate.config.json'), 'utf8')).apps).toHaveLength(1);
  });

  it('a command did not say which of two config files it read', async () => {
    const apps = [{ name: 'app', orm: 'typeorm', migrations: ['migrations'], dataSource: 'data-source.ts' }];
    writeFileSync(join(dir, 'migrate.config.js'), `module.exports = ${JSON.stringify({ apps })};\n`);
    writeFileSync(join(dir, 'migrate.config.json'), JSON.stringify({ apps }));
    const result = await runMigrate(['status'], { cwd: dir, env: { DATABASE_URL: 'postgres://u@127.0.0.1:1/x' } });
    expect(result.stderr).toMatch(/warn: .* has migrate\.config\.js, migrate\.config\.json: migrate\.config\.js is read and migrate\.config\.json is ignored/);
  });
});

describe('lint text for people', () => {
  let dir: string;
  beforeAll(() => {
    mkdirSync(join(ROOT, 'test/.tmp'), { recursive: true });
    dir = mkdtempSync(join(ROOT, 'test/.tmp', 'lint-text-'));
    writeFileSync(join(dir, 'hazards.sql'), 'create index i on t (a);\nalter table t alter column a set not null;\ncreate index concurrently j on t (b);\n');
    writeFileSync(join(dir, 'safe.sql'), 'create index concurrently k on t (c);\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['the .sql quick path', (files: string[]) => files],
    ['the full command', (files: string[]) => ['--verbose', ...files]],
  ])('lint text ended with "N finding(s) (N error(s))", counting no warnings (%s)', async (_, args) => {
    const result = await runMigrate(['lint', ...args([join(dir, 'hazards.sql')])]);
    expect(result.code).toBe(5);
    const file = 'test/.tmp/' + dir.split('/').pop() + '/hazards.sql';
    expect(result.stdout).toContain(`${file}:1: error require-concurrent-index-creation: `);
    expect(result.stdout).toContain(`${file}:2: warning setting-not-null: `);
    expect(result.stdout).toMatch(/^ {2}see libs\/migration-lint\/docs\/rules\/require-concurrent-index-creation\.md$/m);
    expect(existsSync(join(ROOT, 'libs/migration-lint/docs/rules/require-concurrent-index-creation.md'))).toBe(true);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('2 findings in 1 file: 1 error, 1 warning');
    const clean = await runMigrate(['lint', ...args([join(dir, 'safe.sql'), join(dir, 'safe.sql')])]);
    expect({ code: clean.code, stdout: clean.stdout }).toEqual({ code: 0, stdout: 'no findings in 2 files\n' });
  });
});

describe('checksum --accept', () => {
  let db: TestDatabase;
  let project: ReturnType<typeof scratchProject>;
  beforeAll(async () => {
    db = await createTestDatabase('accept');
    project = scratchProject('accept');
    project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped' }]);
  });
  afterAll(async () => {
    project.remove();
    await db.drop();
  });
  const run = (...args: string[]) => runMigrate(['--config', join(project.dir, 'migrate.config.json'), ...args], { env: { DATABASE_URL: db.url } });

  it('a comment added to an applied migration left it changed for good, with no way to accept the edit', async () => {
    expect((await run('up', '--to', '202401150900__create_chargebacks')).code).toBe(0);
    appendFileSync(join(project.migrations, '202401150900__create_chargebacks.ts'), '\n// why the table has no foreign key: see the design doc\n');
    const before = await run('status', '--json');
    expect(JSON.parse(before.stdout).apps[0].migrations[0]).toMatchObject({ name: '202401150900__create_chargebacks', state: 'changed' });
    const refused = await run('up');
    expect(refused.stderr).toMatch(/migrate checksum --accept 202401150900__create_chargebacks/);

    const notChanged = await run('checksum', '--accept', '202401151000__chargebacks_add_utr_reported_at');
    expect(notChanged.code).toBe(2);
    expect(notChanged.stderr).toMatch(/payments\/202401151000__chargebacks_add_utr_reported_at is pending, not changed: there is no edit to accept/);
    const unknown = await run('checksum', '--accept', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/checksum --accept nope: payments has no migration file of that name/);

    const accepted = await run('checksum', '--accept', '202401150900__create_chargebacks', '--json');
    expect(accepted.code).toBe(0);
    const { accepted: rows } = JSON.parse(accepted.stdout);
    expect(rows).toEqual([
      expect.objectContaining({ app: 'payments', migration: '202401150900__create_chargebacks', checksum: expect.stringMatching(/^[0-9a-f]{64}$/), previous: expect.stringMatching(/^[0-9a-f]{64}$/), acceptedBy: expect.any(String) }),
    ]);
    expect(rows[0].checksum).not.toBe(rows[0].previous);
    const log = await db.query<{ direction: string; actor: string; checksum: string }>(`select direction, actor, checksum from migration_runs where migration = '202401150900__create_chargebacks' order by id`);
    expect(log.map((r) => r.direction)).toEqual(['up', 'accept']);
    expect(log[1]).toMatchObject({ actor: rows[0].acceptedBy, checksum: rows[0].checksum });

    const after = JSON.parse((await run('status', '--json')).stdout).apps[0].migrations[0];
    expect(after).toMatchObject({ state: 'applied', appliedAt: JSON.parse(before.stdout).apps[0].migrations[0].appliedAt });
    expect((await run('status', '--exit-code', '--app', 'payments')).code).toBe(6); // the other one is still pending
    expect((await run('checksum', '--accept', '202401150900__create_chargebacks')).code).toBe(2); // accepted once: not changed any more
    expect((await run('up')).code).toBe(0);
  });

  it('checksum --help explains when to accept an edit', async () => {
    const help = await run('checksum', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--accept <name>/);
    expect(help.stdout).toMatch(/changes nothing\s+that runs/);
  });
});

describe('the PG* variables, read as libpq reads them', () => {
  let db: TestDatabase;
  let project: ReturnType<typeof scratchProject>;
  beforeAll(async () => {
    db = await createTestDatabase('pgvars');
    project = scratchProject('pgvars');
    project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped' }]);
  });
  afterAll(async () => {
    project.remove();
    await db.drop();
  });

  const writeEnv = (extra: string[] = []) => {
    const url = new URL(db.url);
    writeFileSync(join(project.dir, '.pgpass'), `${url.hostname}:${url.port}:*:${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}\n`);
    chmodSync(join(project.dir, '.pgpass'), 0o600);
    writeFileSync(
      join(project.dir, '.env'),
      [`PGHOST=${url.hostname}`, `PGPORT=${url.port}`, `PGUSER=${decodeURIComponent(url.username)}`, `PGDATABASE=${url.pathname.slice(1)}`, `PGPASSFILE=${join(project.dir, '.pgpass')}`, ...extra].join('\n') + '\n',
    );
  };
  const status = () => runMigrate(['--config', join(project.dir, 'migrate.config.json'), 'status', '--json'], { env: {} });

  it('a password in the .pgpass file PGPASSFILE names was not used', async () => {
    writeEnv();
    const result = await status();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).apps[0].database).toContain(db.name);
  });

  it('a group-readable password file is ignored, as libpq ignores it', async () => {
    writeEnv();
    chmodSync(join(project.dir, '.pgpass'), 0o644);
    const result = await status();
    expect(result.code).toBe(2);
  });

  it('PGSSLMODE=require was ignored, and the connection went unencrypted', async () => {
    writeEnv(['PGSSLMODE=require']);
    const result = await status();
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/SSL/i);
    writeEnv(['PGSSLMODE=disable']);
    expect((await status()).code).toBe(0);
  });
});
