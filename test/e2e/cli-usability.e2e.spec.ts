import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, ROOT, runMigrate } from '../support/cli';

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
