import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { scratchProject } from '../support/scratch-project';

const TYPEORM_INDEX = `import type { MigrationInterface, QueryRunner } from 'typeorm';
export class ChargebacksIndexStatus1705316400000 implements MigrationInterface {
  name = 'ChargebacksIndexStatus1705316400000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(\`CREATE INDEX "idx_chargebacks_status" ON "chargebacks" ("status")\`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(\`DROP INDEX "idx_chargebacks_status"\`);
  }
}
`;

const MIKRO_RENAME = `import { Migration } from '@mikro-orm/migrations';
export class Migration202401151200RenameMemo extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "ledger_entries" rename column "memo" to "note";');
  }
}
`;

describe('the lint gate: any file by path, the pull request, and up', () => {
  let db: TestDatabase;
  let project: ReturnType<typeof scratchProject>;
  const config = () => join(project.dir, 'migrate.config.json');
  const migrate = (args: string[], env: Record<string, string> = {}) => runMigrate(['--config', config(), ...args], { env: { DATABASE_URL: db.url, ...env }, cwd: project.dir });

  beforeEach(async () => {
    db = await createTestDatabase('lint_gate');
    project = scratchProject('lint-gate');
    project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped' }]);
  });
  afterEach(async () => {
    project.remove();
    await db.drop();
  });

  it('CI linted nothing: a TypeORM file, a MikroORM file no app lists, and a .sql file are linted by path, each by the SQL it emits', async () => {
    writeFileSync(join(project.migrations, '202401151100__chargebacks_index_status.ts'), TYPEORM_INDEX);
    mkdirSync(join(project.dir, 'other'));
    writeFileSync(join(project.dir, 'other/202401151200__rename_memo.ts'), MIKRO_RENAME);
    writeFileSync(join(project.dir, 'hazard.sql'), 'ALTER TABLE orders ADD COLUMN note text;\nCREATE INDEX orders_note_idx ON orders (note);\n');
    const result = await migrate(['lint', '--json', 'migrations/202401151100__chargebacks_index_status.ts', 'other/202401151200__rename_memo.ts', 'hazard.sql']);
    expect(result.code).toBe(5);
    const { findings } = JSON.parse(result.stdout);
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rule: 'require-concurrent-index-creation', severity: 'error', line: 5, app: 'payments', migration: '202401151100__chargebacks_index_status' }),
        expect.objectContaining({ rule: 'renaming-column', line: 4, migration: '202401151200__rename_memo' }),
        expect.objectContaining({ rule: 'require-concurrent-index-creation', line: 2, statement: 'CREATE INDEX orders_note_idx ON orders (note)' }),
      ]),
    );
    for (const f of findings) expect(Object.keys(f)).toEqual(expect.arrayContaining(['file', 'line', 'rule', 'severity', 'message', 'fix', 'statement']));
  });

  it('prints GitHub annotations and SARIF 2.1.0', async () => {
    writeFileSync(join(project.dir, 'hazard.sql'), 'ALTER TABLE orders ADD COLUMN note text;\nCREATE INDEX orders_note_idx ON orders (note);\n');
    const github = await migrate(['lint', '--format', 'github', 'hazard.sql']);
    expect(github.code).toBe(5);
    expect(github.stdout).toMatch(/^::error file=[^,]*hazard\.sql,line=2,title=require-concurrent-index-creation::CREATE INDEX orders_note_idx/m);
    const sarif = await migrate(['lint', '--format', 'sarif', 'hazard.sql']);
    const document = JSON.parse(sarif.stdout);
    expect(document.version).toBe('2.1.0');
    expect(document.runs[0].results[0]).toMatchObject({ ruleId: 'require-concurrent-index-creation', level: 'error', locations: [{ physicalLocation: { region: { startLine: 2 } } }] });
  });

  it('.sql files alone need no database, and a JSON document over 64 KiB reaches the pipe whole', async () => {
    const statements = Array.from({ length: 400 }, (_, i) => `CREATE INDEX orders_note_${i}_idx ON orders (note);`).join('\n');
    writeFileSync(join(project.dir, 'many.sql'), `${statements}\n`);
    // a server nobody listens on: a lint that connected would exit 2
    const result = await migrate(['lint', '--format', 'json', 'many.sql'], { DATABASE_URL: 'postgres://app:app@127.0.0.1:1/nowhere' });
    expect(result.code).toBe(5);
    expect(result.stdout.length).toBeGreaterThan(64 * 1024);
    const { findings } = JSON.parse(result.stdout);
    expect(findings).toHaveLength(400);
    expect(findings[399]).toMatchObject({ rule: 'require-concurrent-index-creation', line: 400, migration: 'many' });
  });

  it('--since <ref> lints what the branch added since it left the base, with paths relative to the repository root', async () => {
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=ci', '-c', 'user.email=ci@example.com', ...args], { cwd: project.dir, stdio: 'pipe' });
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-qm', 'base');
    git('checkout', '-qb', 'feature');
    writeFileSync(join(project.migrations, '202401151100__chargebacks_index_status.ts'), TYPEORM_INDEX);
    git('add', '.');
    git('commit', '-qm', 'a hazard');
    const result = await migrate(['lint', '--since', 'main', '--format', 'github']);
    expect(result.code).toBe(5);
    expect(result.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^::error file=migrations\/202401151100__chargebacks_index_status\.ts,line=5,title=require-concurrent-index-creation::/)]);
    const clean = await migrate(['lint', '--since', 'feature']);
    expect(clean.code).toBe(0);
  });

  it('up ran what the linter would refuse: now it refuses before anything runs (exit 5), unless ignored with a reason or --unsafe-ok', async () => {
    expect((await migrate(['up'])).code).toBe(0);
    writeFileSync(join(project.migrations, '202401151100__chargebacks_index_status.ts'), TYPEORM_INDEX);
    const refused = await migrate(['up']);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/refused to run 1 error-level safety finding\(s\), nothing was run: payments\/202401151100__chargebacks_index_status require-concurrent-index-creation/);
    expect(await db.query(`select 1 from pg_class where relname = 'idx_chargebacks_status'`)).toEqual([]);
    writeFileSync(
      join(project.migrations, '202401151100__chargebacks_index_status.ts'),
      TYPEORM_INDEX.replace('    await q.query(`CREATE INDEX', '    // zdm-lint-ignore require-concurrent-index-creation: the table holds a few hundred rows\n    await q.query(`CREATE INDEX'),
    );
    const ignored = await migrate(['up']);
    expect(ignored.code).toBe(0);
    expect(await db.query(`select 1 as one from pg_class where relname = 'idx_chargebacks_status'`)).toEqual([{ one: 1 }]);
  });

  it('SET NOT NULL after a check the live database already validated was flagged: the catalog is proof, a NOT VALID check is not', async () => {
    expect((await migrate(['up'])).code).toBe(0);
    const setNotNull = TYPEORM_INDEX.replace('CREATE INDEX "idx_chargebacks_status" ON "chargebacks" ("status")', 'ALTER TABLE "chargebacks" ALTER COLUMN "utr" SET NOT NULL').replace(/IndexStatus/g, 'UtrNotNull');
    writeFileSync(join(project.migrations, '202401151100__chargebacks_utr_not_null.ts'), setNotNull);
    const notNullFindings = async () => JSON.parse((await migrate(['lint', '--json'])).stdout).findings.filter((f: { rule: string }) => f.rule === 'setting-not-null');
    expect(await notNullFindings()).toHaveLength(1);
    await db.query('ALTER TABLE chargebacks ADD CONSTRAINT chargebacks_utr_present CHECK (utr IS NOT NULL) NOT VALID');
    expect(await notNullFindings()).toHaveLength(1);
    await db.query('ALTER TABLE chargebacks VALIDATE CONSTRAINT chargebacks_utr_present');
    expect(await notNullFindings()).toEqual([]);
    // judged across the run too: an earlier pending migration validates, a later one sets NOT NULL
    await db.query('ALTER TABLE chargebacks DROP CONSTRAINT chargebacks_utr_present');
    const validate = TYPEORM_INDEX.replace(
      'await q.query(`CREATE INDEX "idx_chargebacks_status" ON "chargebacks" ("status")`);',
      'await q.query(`ALTER TABLE "chargebacks" ADD CONSTRAINT "utr_present" CHECK ("utr" IS NOT NULL) NOT VALID`);\n    await q.query(`ALTER TABLE "chargebacks" VALIDATE CONSTRAINT "utr_present"`);',
    ).replace(/IndexStatus1705316400000/g, 'UtrPresent1705315800000');
    writeFileSync(join(project.migrations, '202401151050__chargebacks_utr_present.ts'), validate);
    expect(await notNullFindings()).toEqual([]);
  });

  it('--unsafe-ok runs it, with the findings shown; and a table created earlier in the same run is no hazard', async () => {
    writeFileSync(join(project.migrations, '202401151100__chargebacks_index_status.ts'), TYPEORM_INDEX);
    // from empty: chargebacks is created by the run itself
    expect((await migrate(['lint'])).code).toBe(0);
    expect((await migrate(['up', '--to', '202401151000__chargebacks_add_utr_reported_at'])).code).toBe(0);
    const run = await migrate(['up', '--unsafe-ok']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/require-concurrent-index-creation: .*\(run anyway: --unsafe-ok\)/);
  });

  it("lintBaseline: an adopted project's old hazardous migrations don't block its first run", async () => {
    expect((await migrate(['up'])).code).toBe(0);
    // an old file of the adopted history, never run here yet: judged, it would be refused
    writeFileSync(join(project.migrations, '202401151100__chargebacks_index_status.ts'), TYPEORM_INDEX);
    project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped', lintBaseline: '202401151100__chargebacks_index_status' }]);
    const result = await migrate(['up']);
    expect(result.code).toBe(0);
    expect(await db.query(`select 1 as one from pg_class where relname = 'idx_chargebacks_status'`)).toEqual([{ one: 1 }]);
  });

  it('the config sets a rule\'s level (error, warning, info, off) and the version to judge by; an unknown rule is a config error', async () => {
    writeFileSync(join(project.dir, 'hazard.sql'), 'CREATE INDEX orders_note_idx ON orders (note);\nALTER TABLE events DETACH PARTITION events_2023;\n');
    const withLint = (lint: unknown) => writeFileSync(config(), JSON.stringify({ apps: [{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts' }], lint }));
    withLint({ rules: { 'require-concurrent-index-creation': 'warning', 'detach-partition-without-concurrently': 'off' } });
    const relaxed = await migrate(['lint', '--json', 'hazard.sql']);
    expect(relaxed.code).toBe(0);
    expect(JSON.parse(relaxed.stdout).findings).toEqual([expect.objectContaining({ rule: 'require-concurrent-index-creation', severity: 'warning' })]);
    withLint({ pgVersion: 13 });
    const old = JSON.parse((await migrate(['lint', '--json', 'hazard.sql'])).stdout).findings;
    expect(old.find((f: { rule: string }) => f.rule === 'detach-partition-without-concurrently').fix).toMatch(/PostgreSQL 13 has no CONCURRENTLY form/);
    withLint({ rules: { 'no-such-rule': 'off' } });
    const bad = await migrate(['lint', 'hazard.sql']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/lint\.rules: no rule named no-such-rule; the rules are /);
  });

  it('a rule set to warning in the config no longer stops up', async () => {
    expect((await migrate(['up'])).code).toBe(0);
    writeFileSync(join(project.migrations, '202401151100__chargebacks_index_status.ts'), TYPEORM_INDEX);
    writeFileSync(config(), JSON.stringify({ apps: [{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped' }], lint: { rules: { 'require-concurrent-index-creation': 'warning' } } }));
    const result = await migrate(['up']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning require-concurrent-index-creation/);
  });
});
