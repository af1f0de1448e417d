import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMigrate } from '../support/cli';
import { loadProbe } from '../support/load-probe';
import { scratchProject } from '../support/scratch-project';

// A migrate.config.ts of types only loads by Node's own type stripping; anything Node refuses
// loads with swc, as it always did. The probe records whether swc was loaded in the run.
const APPS = `[{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped' }]`;

describe('migrate.config.ts: loaded by type stripping, or else by swc', () => {
  let project: ReturnType<typeof scratchProject>;
  let probe: ReturnType<typeof loadProbe>;
  const lint = (config: string) => {
    writeFileSync(join(project.dir, 'migrate.config.ts'), config);
    return runMigrate(['lint', '--format', 'json', 'hazard.sql'], { cwd: project.dir, env: probe.env });
  };
  const swcLoaded = () => probe.take().swc;

  beforeEach(() => {
    project = scratchProject('config-loading');
    probe = loadProbe(project.dir, { swc: '@swc/core' });
    writeFileSync(join(project.dir, 'hazard.sql'), 'CREATE INDEX orders_note_idx ON orders (note);\n');
  });
  afterEach(() => project.remove());

  const expectLinted = (result: { code: number | null; stdout: string; stderr: string }) => {
    expect(result.stderr).toBe('');
    expect(result.code).toBe(5);
    expect(JSON.parse(result.stdout).findings).toEqual([expect.objectContaining({ rule: 'require-concurrent-index-creation', line: 1 })]);
  };

  it('types, import type and satisfies only: no compiler is loaded', async () => {
    const result = await lint(
      `import { defineConfig, type MigrateConfig } from '@zdm/migration-cli';\nconst apps: MigrateConfig['apps'] = ${APPS};\nexport default defineConfig({ apps } satisfies MigrateConfig);\n`,
    );
    expectLinted(result);
    expect(swcLoaded()).toBe(false);
  });

  it('an enum (no erasable syntax): loaded by swc, with the same result', async () => {
    const result = await lint(
      `import { defineConfig } from '@zdm/migration-cli';\nenum Naming { Timestamped = 'timestamped' }\nexport default defineConfig({ apps: [{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: Naming.Timestamped }] });\n`,
    );
    expectLinted(result);
    expect(swcLoaded()).toBe(true);
  });

  it('an extensionless import of another .ts file, and __dirname: loaded by swc', async () => {
    writeFileSync(join(project.dir, 'apps.ts'), `export const apps = ${APPS};\n`);
    const result = await lint(`import { join } from 'node:path';\nimport { apps } from './apps';\nexport const root: string = join(__dirname, '.');\nexport default { apps };\n`);
    expectLinted(result);
    expect(swcLoaded()).toBe(true);
  });

  it('a syntax error: exit 2 with file:line: reason, one line, as swc reports it', async () => {
    const result = await lint(`import { defineConfig } from '@zdm/migration-cli';\n\nexport default defineConfig({ apps: ${APPS}, lint: { rules: { x: } } });\n`);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`${join(project.dir, 'migrate.config.ts').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: Expression expected`));
  });
});
