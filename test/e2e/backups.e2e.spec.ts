import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { scratchProject } from '../support/scratch-project';

// Backups before destructive steps: what a migration drops, truncates or rewrites is copied out
// through the driver (COPY ... TO STDOUT, gzip) before it runs, and `migrate restore` puts it back.

const migration = (cls: string, up: string[], down: string[]) => `import type { MigrationInterface, QueryRunner } from 'typeorm';
export class ${cls} implements MigrationInterface {
  name = '${cls}';
  async up(q: QueryRunner): Promise<void> {
${up.map((s) => `    await q.query(\`${s}\`);`).join('\n')}
  }
  async down(q: QueryRunner): Promise<void> {
${down.map((s) => `    await q.query(\`${s}\`);`).join('\n')}
  }
}
`;

const DROP_UTR = migration('ChargebacksDropUtr1705316400000', ['ALTER TABLE "chargebacks" DROP COLUMN "utr"'], ['ALTER TABLE "chargebacks" ADD "utr" character varying(64)']);
const DROP_NOTES = migration('DropChargebackNotes1705320000000', ['DROP TABLE "chargeback_notes"'], ['CREATE TABLE "chargeback_notes" ("id" serial PRIMARY KEY, "body" text NOT NULL)']);

describe('backups before destructive steps, and migrate restore', () => {
  let db: TestDatabase;
  let project: ReturnType<typeof scratchProject>;
  let backups: string;
  const config = () => join(project.dir, 'migrate.config.json');
  const migrate = (args: string[], env: Record<string, string> = {}) => runMigrate(['--config', config(), ...args], { env: { DATABASE_URL: db.url, ...env }, cwd: project.dir });

  beforeEach(async () => {
    db = await createTestDatabase('backups');
    project = scratchProject('backups');
    project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped' }]);
    backups = mkdtempSync(join(tmpdir(), 'zdm-backups-'));
    expect((await migrate(['up'])).code).toBe(0);
    await db.query(`insert into chargebacks (payment_id, amount_minor, currency, status, utr) select gen_random_uuid(), g, 'EUR', 'open', 'UTR-' || g from generate_series(1, 500) g`);
    await db.query(`create table chargeback_notes (id serial primary key, body text not null); insert into chargeback_notes (body) select 'note ' || g from generate_series(1, 40) g`);
  });
  afterEach(async () => {
    project.remove();
    await db.drop();
  });

  it('a real drop of a column: the column is copied out with the key before up, the path, time and rows are in the log and the report, and restore puts it back', async () => {
    writeFileSync(join(project.migrations, '202401151100__chargebacks_drop_utr.ts'), DROP_UTR);
    const report = join(backups, 'report.json');
    const up = await migrate(['up', '--backup-dir', backups, '--report', report]);
    expect({ code: up.code, stderr: up.stderr }).toMatchObject({ code: 0 });
    expect(up.stderr).toMatch(/backed up payments\/202401151100__chargebacks_drop_utr before it runs: public\.chargebacks \(500 row\(s\)\) to \S+ in \d/);
    const written = JSON.parse(readFileSync(report, 'utf8')) as { backups: { path: string; durationMs: number; tables: { table: string; rows: number; file: string }[] }[] };
    expect(written.backups).toHaveLength(1);
    const [backup] = written.backups;
    expect(backup.tables).toEqual([{ table: 'public.chargebacks', rows: 500, file: 'public.chargebacks.csv.gz' }]);
    expect(backup.durationMs).toBeGreaterThanOrEqual(0);
    const csv = gunzipSync(readFileSync(join(backup.path, 'public.chargebacks.csv.gz'))).toString().split('\n');
    expect(csv[0]).toBe('id,utr');
    expect(csv).toContain('7,UTR-7');
    expect(await db.query(`select 1 from information_schema.columns where table_name = 'chargebacks' and column_name = 'utr'`)).toEqual([]);
    // the run log keeps it with the migration's up: where to restore from, after the report is gone
    const [logged] = await db.query<{ backup: typeof backup }>(`select backup from migration_runs where migration = '202401151100__chargebacks_drop_utr' and direction = 'up'`);
    expect(logged.backup).toEqual({ path: backup.path, durationMs: backup.durationMs, tables: backup.tables });

    // the column comes back empty with down; restore fills it by the key
    expect((await migrate(['down', '--app', 'payments'])).code).toBe(0);
    expect(await db.query(`select count(*)::int as n from chargebacks where utr is not null`)).toEqual([{ n: 0 }]);
    const restored = await migrate(['restore', backup.path]);
    expect({ code: restored.code, stderr: restored.stderr }).toMatchObject({ code: 0 });
    expect(restored.stdout).toMatch(/restored public\.chargebacks: 500 row\(s\)/);
    expect(await db.query(`select count(*)::int as n from chargebacks where utr = 'UTR-' || amount_minor`)).toEqual([{ n: 500 }]);
  });

  it('ENV=production: a drop without --backup-dir is refused before anything runs (exit 2, naming both flags); --no-backup runs it on purpose', async () => {
    writeFileSync(join(project.migrations, '202401151200__drop_chargeback_notes.ts'), DROP_NOTES);
    const refused = await migrate(['up'], { ENV: 'production' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/202401151200__drop_chargeback_notes \(ban-drop-table chargeback_notes\): drops, truncates or rewrites data.*--backup-dir.*not the pod's \/tmp.*--no-backup/);
    expect(await db.query(`select count(*)::int as n from chargeback_notes`)).toEqual([{ n: 40 }]);
    const onPurpose = await migrate(['up', '--no-backup'], { ENV: 'production' });
    expect(onPurpose.code).toBe(0);
    expect(onPurpose.stderr).not.toMatch(/backed up/);
  });

  it('a real drop of a table: the whole table is copied out, and after down recreates it, restore inserts every row', async () => {
    writeFileSync(join(project.migrations, '202401151200__drop_chargeback_notes.ts'), DROP_NOTES);
    const up = await migrate(['up', '--backup-dir', backups, '--json'], { ENV: 'production' });
    expect({ code: up.code, stderr: up.stderr }).toMatchObject({ code: 0 });
    const event = up.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; path?: string; tables?: { rows: number }[] }).find((e) => e.type === 'backup.finished')!;
    expect(event.tables).toEqual([{ table: 'public.chargeback_notes', rows: 40, file: 'public.chargeback_notes.csv.gz' }]);
    expect(existsSync(join(event.path!, 'manifest.json'))).toBe(true);
    // restore needs the table: a backup holds data, not schema
    const early = await migrate(['restore', event.path!]);
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(/there is no table public\.chargeback_notes: .*revert the migration first/);
    expect((await migrate(['down', '--app', 'payments', '--yes'], { ENV: 'production' })).code).toBe(0);
    expect((await migrate(['restore', event.path!], { ENV: 'production' })).code).toBe(2);
    const restored = await migrate(['restore', event.path!, '--yes'], { ENV: 'production' });
    expect({ code: restored.code, stderr: restored.stderr }).toMatchObject({ code: 0 });
    expect(await db.query(`select count(*)::int as n, max(body) as last from chargeback_notes`)).toEqual([{ n: 40, last: 'note 9' }]);
  });

  it('a migration that destroys nothing makes no backup and needs none in production', async () => {
    writeFileSync(
      join(project.migrations, '202401151300__chargebacks_add_note.ts'),
      migration('ChargebacksAddNote1705323600000', ['ALTER TABLE "chargebacks" ADD "note" text'], ['ALTER TABLE "chargebacks" DROP COLUMN "note"']),
    );
    const up = await migrate(['up'], { ENV: 'production' });
    expect(up.code).toBe(0);
    expect(up.stderr).not.toMatch(/backed up/);
  });
});
